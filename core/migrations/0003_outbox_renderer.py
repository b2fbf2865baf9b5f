"""An email may be written when it is sent: the renderer's name and what it renders.

After referrals 0010, which gives the table (still referrals_outboxemail) to core.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_heartbeat'),
        ('referrals', '0010_outbox_moves_to_core'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxemail',
            name='render_key',
            field=models.CharField(blank=True, max_length=50, verbose_name='written from'),
        ),
        migrations.AddField(
            model_name='outboxemail',
            name='renderer',
            field=models.CharField(blank=True, max_length=50, verbose_name='written by'),
        ),
    ]
