"""Access (TT05 ch. VI): researchers' requests, the rules by access regime, and what is issued to them:
reading copies, "BẢN SAO" copies, certified (signed) copies and certified DIPs."""
