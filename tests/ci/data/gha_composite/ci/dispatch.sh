#!/bin/bash
case "$SUITE" in
  core) pytest tests/core "$@" ;;
  slow) pytest -m slow tests "$@" ;;
esac
