"""Reference Getis-Ord Gi* from PySAL for toex's tests (never used at run time).

Usage: gistar.py IN.csv OUT.csv BAND
IN has a header and columns x,y,value (planar metres); OUT gets z,p_norm per row in
input order, from esda.G_Local with binary distance-band weights and star=True.
"""

import sys
import warnings

import numpy as np
import esda
import libpysal

warnings.filterwarnings("ignore")

source, target, band = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = np.loadtxt(source, delimiter=",", skiprows=1, ndmin=2)
weights = libpysal.weights.DistanceBand(
    data[:, :2], threshold=band, binary=True, silence_warnings=True
)
g = esda.G_Local(data[:, 2], weights, transform="B", star=True, permutations=0)
np.savetxt(target, np.column_stack([g.Zs, g.p_norm]), delimiter=",", fmt="%.17g")
