"""What each command computes, as objects: ``to_dict()`` is the JSON contract (README), ``view()``
the document a person reads; render/ writes either in the chosen format."""
