"""The teaching and inspection tools, each standing on the core and behind a subcommand.

================  ==========================================================================
module            what it does (and the ``npconv`` subcommand that prints it)
================  ==========================================================================
``tour``          walks the cheat sheet section by section with live proofs (``npconv tour``)
``calculator``    one layer's shapes, formulas and parameter count (``npconv shape``)
``summary``       a whole network, layer by layer, from a spec (``npconv summary``)
``networks``      the specs of a few published networks, for ``summary``
``show``          the window of an op drawn frame by frame in text (``npconv show``)
``gradcheck``     finite-difference checks of every op and both methods (``npconv gradcheck``)
``bench``         timings against PyTorch, when it is installed (``npconv bench``)
``parity``        a trained network against the same network in PyTorch (``npconv bench
                  --training``)
``digits``        scikit-learn's handwritten digits and the fixed, seeded split
``train``         two networks trained end to end on the digits (``npconv train``)
================  ==========================================================================

They import the core (:mod:`npconv.api`, :mod:`npconv.shapes`, :mod:`npconv.padding`), the
layers (:mod:`npconv.nn`, :mod:`npconv.optim`) and each other, never :mod:`npconv.cli`; the
command line only parses and prints what they return.
"""
