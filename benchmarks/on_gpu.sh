#!/usr/bin/env bash
# The device checks of a machine with a CUDA GPU, in one prepared command.
#
#   bash benchmarks/on_gpu.sh wheels        # here, with PyPI: the packages the GPU machine lacks
#   bash benchmarks/on_gpu.sh [PART ...]    # there: tests, tensors, stream (all three by default)
#
# The GPU machine has Python, torch and the scientific stack but no registry:
# `wheels` downloads what sknn's checks need beyond them into .whl/ (ignored
# by git; carry it), and every other part installs them from there into
# /tmp/site and imports sknn from this checkout. Parts:
#   tests    tests/test_cuda.py, tests/test_array_api.py and scikit-learn's own
#            Array API checks on CUDA (tests/test_common.py -k array_api)
#   tensors  benchmarks/cuda_tensors.py (CUDA tensors in and out; issue 37)
#   stream   benchmarks/out_of_core.py --device cuda (20,000,000 rows streamed; issue 34;
#            SIZES="2000000" runs the smaller table alone)
# Results and a log go to $OUT when it is set (the device tool's folder).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${1:-}" = "wheels" ]; then
    grep -qx "/.whl/" .git/info/exclude 2>/dev/null || echo "/.whl/" >>.git/info/exclude
    platforms=()
    for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 \
        manylinux2014_x86_64 manylinux1_x86_64; do
        platforms+=(--platform "$p")
    done
    exec $PY -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp "${platforms[@]}" -d .whl \
        scikit-learn==1.9.1 dask==2026.8.0 partd==1.4.2 locket==1.0.0 array-api-strict==2.6.1
fi

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(tests tensors stream)
out=${OUT:-/tmp/sknn-gpu}
mkdir -p "$out"
if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH="$PWD:/tmp/site" PYTHONUNBUFFERED=1 SCIPY_ARRAY_API=1 HF_HUB_OFFLINE=1
$PY -c "import torch, sklearn, sknn; print('torch', torch.__version__, 'cuda',
torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '',
'| scikit-learn', sklearn.__version__)" 2>&1 | tee "$out/versions.txt"

status=0
for part in "${parts[@]}"; do
    case $part in
    tests)
        $PY -m pytest -p no:cacheprovider -q -rs tests/test_cuda.py tests/test_array_api.py \
            2>&1 | tee "$out/tests.log" || status=1
        $PY -m pytest -p no:cacheprovider -q tests/test_common.py -k "array_api and cuda" \
            2>&1 | tail -5 | tee -a "$out/tests.log" || status=1
        ;;
    tensors)
        $PY benchmarks/cuda_tensors.py --repeats 1 2>&1 | tee "$out/tensors.log" || status=1
        cp benchmarks/results/cuda_tensors.md "$out/" 2>/dev/null
        ;;
    stream)
        # shellcheck disable=SC2086
        $PY benchmarks/out_of_core.py --device cuda --threads "$(nproc)" \
            --sizes ${SIZES:-2000000 20000000} \
            2>&1 | tee "$out/stream.log" || status=1
        cp benchmarks/results/out_of_core_cuda.md "$out/" 2>/dev/null
        ;;
    *)
        echo "unknown part $part (tests, tensors, stream or wheels)" && exit 2
        ;;
    esac
done
exit $status
