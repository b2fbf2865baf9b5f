# An erased person: the moment their details were erased, and a date of birth that only an
# erasure may empty.

import referrals.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('referrals', '0011_referralevent_kind_consent'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='erased'),
        ),
        migrations.AlterField(
            model_name='person',
            name='date_of_birth',
            field=models.DateField(null=True, validators=[referrals.validators.validate_not_in_future], verbose_name='date of birth'),
        ),
        migrations.AddConstraint(
            model_name='person',
            constraint=models.CheckConstraint(condition=models.Q(('date_of_birth__isnull', False), ('erased_at__isnull', False), _connector='OR'), name='person_date_of_birth_unless_erased'),
        ),
    ]
