#!/bin/bash
# usage: run.sh <output-dir> <mnt-dir>
#   GG_BUILD_CUDA=1 bash ./ci/run.sh ./tmp/results ./tmp/mnt
if [ -z "$2" ]; then
    echo "usage: $0 <output-dir> <mnt-dir>"
    exit 1
fi

mkdir -p "$1"
mkdir -p "$2"

OUT=$(realpath "$1")
MNT=$(realpath "$2")

rm -f $OUT/*.log
rm -f $OUT/*.exit

CMAKE_EXTRA="-DLLAMA_FATAL_WARNINGS=ON"

if [ ! -z ${GG_BUILD_CUDA} ]; then
    CMAKE_EXTRA="${CMAKE_EXTRA} -DGGML_CUDA=ON"
fi

## helpers

function gg_run {
    ci=$1

    set -o pipefail
    set -x

    gg_run_$ci | tee $OUT/$ci.log
    cur=$?
    echo "$cur" > $OUT/$ci.exit

    set +x
    set +o pipefail

    ret=$((ret | cur))
}

## ci

function gg_run_ctest_debug {
    cmake -DCMAKE_BUILD_TYPE=Debug ${CMAKE_EXTRA} ..
    ctest --output-on-failure -L main -E test-opt
}

function gg_run_test_backend_cuda {
    ctest --output-on-failure -L cuda
}

ret=0

test $ret -eq 0 && gg_run ctest_debug

if [ ! -z ${GG_BUILD_CUDA} ]; then
    test $ret -eq 0 && gg_run test_backend_cuda
fi

exit $ret
