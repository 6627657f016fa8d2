#!/bin/bash
set -ex

test_python_shard() {
  python test/run_test.py --shard "$1" "$NUM_TEST_SHARDS" --verbose
}

test_distributed() {
  python test/run_test.py --distributed-tests --verbose
}

if [[ "${TEST_CONFIG}" == *distributed* ]]; then
  test_distributed
elif [[ -n "$SHARD_NUMBER" ]]; then
  test_python_shard "$SHARD_NUMBER"
fi
