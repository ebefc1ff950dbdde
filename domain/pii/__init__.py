"""Personal data in the text a production or an exchange would let out: finding it, masking it."""
