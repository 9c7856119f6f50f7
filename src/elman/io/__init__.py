"""What training and inference both read and write: atomic files, checkpoint folders and
plots."""
