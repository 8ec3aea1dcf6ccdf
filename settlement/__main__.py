"""`python -m settlement`: the `settlement` command where no console script is on PATH.

The end-to-end tests start gateway consumers and the moto server this way, with the test's
own interpreter, so they run exactly the code under test.
"""

from settlement.cli import main

if __name__ == "__main__":
    main()
