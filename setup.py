"""The optional C loop of the fast path (src/elman/nn/_kernels.c). The BLAS it calls is torch's
own, found when it loads, and its OpenMP runtime is the libgomp.so.1 torch has loaded. If it
does not compile, the install still succeeds and the fast path runs its loop in Python
(elman.nn.kernels)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("elman.nn._kernels", ["src/elman/nn/_kernels.c"],
                             depends=["src/elman/nn/_kernels_body.h",
                                      "src/elman/nn/_kernels_rows.h"],
                             extra_compile_args=["-O3", "-std=c11", "-fno-trapping-math",
                                                 "-ffp-contract=fast", "-fopenmp"],
                             extra_link_args=["-fopenmp"], optional=True)])
