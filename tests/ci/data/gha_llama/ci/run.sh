#!/bin/bash
# usage: run.sh <output-dir> <mnt-dir>
if [ -z "$2" ]; then
    echo "usage: $0 <output-dir> <mnt-dir>"
    exit 1
fi

OUT="$1"
MNT="$2"

CMAKE_EXTRA=""
if [ ! -z ${GG_BUILD_CUDA} ]; then
    CMAKE_EXTRA="${CMAKE_EXTRA} -DGGML_CUDA=ON"
fi

function gg_run_ctest_debug {
    cmake -DCMAKE_BUILD_TYPE=Debug ${CMAKE_EXTRA} ..
    ctest --output-on-failure -L main -E test-opt
}

function gg_run_test_cuda_backend {
    ./bin/test-backend-ops -b CUDA0
}

gg_run ctest_debug
if [ ! -z ${GG_BUILD_CUDA} ]; then
    gg_run_test_cuda_backend
fi
