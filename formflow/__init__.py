"""formflow: the paperwork of the Danish employee development interview (MUS).

Renders the preparation and agreement forms, reads them back from whatever program filled
them, validates signatures and dates, files them into personnel folders and carries last
year's agreement over into next year's preparation form.
"""

__version__ = "0.1.0"
