"""The provider's listings on their home page.

accounts knows nothing of the directory (DESIGN.md): its provider home
template loads this tag, so no accounts code imports from here.
"""

from django import template

from directory.selectors import services_managed_by

register = template.Library()


@register.inclusion_tag("directory/upkeep/_provider_services.html", takes_context=True)
def provider_services(context):
    """Status, capacity, staleness and pending change of each listing the signed-in user keeps."""
    return {"services": list(services_managed_by(context["request"].user))}
