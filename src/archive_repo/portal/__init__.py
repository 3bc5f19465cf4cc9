"""The researcher portal (TT05 ch. VI): accounts, the public description of the holdings, requests,
reading copies in the browser and downloads, and staff's review; served by ``archive-repo serve``."""
