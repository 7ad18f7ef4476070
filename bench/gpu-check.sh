#!/bin/sh
# The engine on a GPU: the VAE and Transformer presets' training steps on
# WebGPU (Dawn on Vulkan in Node), against their hand-written TF.js
# baselines and, where torch sees CUDA, the exported PyTorch twin on the
# same GPU, in one table. Results go to $OUT (or .gpu-check/results).
#
# On a machine with the repository and node_modules: just run it.
# On one without Node (a lent GPU machine): `npm run bench:gpu-bundle` here
# first, then carry .gpu-check and public/data there and run
#   sh bench/gpu-check.sh
# Record the table in docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
PACK=.gpu-check
RESULTS=${OUT:-$PACK/results}
STEPS=${STEPS:-20}
mkdir -p "$RESULTS"

if [ -f "$PACK/bundle/cli/gencomposer.mjs" ]; then
  NODE=$(command -v node || true)
  if [ -z "$NODE" ]; then
    NODE=/tmp/gencomposer-node
    [ -x "$NODE" ] || { xz -dc "$PACK/node.xz" > "$NODE" && chmod +x "$NODE"; }
  fi
  [ -f "$PACK/node_modules/webgpu/index.js" ] || tar -xJf "$PACK/webgpu.tar.xz" -C "$PACK"
  if [ -d "$PACK/vulkan" ]; then
    LD_LIBRARY_PATH="$(find "$PWD/$PACK/vulkan" -name 'libvulkan.so.1' -printf '%h'):${LD_LIBRARY_PATH:-}"
    export LD_LIBRARY_PATH
  fi
  CLI="$NODE $PACK/bundle/cli/gencomposer.mjs"
  PRESETS=$PACK/graph-presets
else
  NODE=node
  CLI="npx gencomposer"
  PRESETS=graph-presets
fi

echo "machine: $(nproc) cores; $( (nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi') | head -1)"
TWIN=""
if /usr/bin/python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  TWIN="--against pytorch --torch-device cuda"
else
  echo "PyTorch with CUDA: not here (the table has no PyTorch column)"
fi

for preset in vae transformer; do
  # shellcheck disable=SC2086
  $CLI bench "$PRESETS/$preset.json" --backend webgpu --steps "$STEPS" $TWIN --out "$RESULTS/$preset.json" 2>"$RESULTS/$preset.log" >/dev/null \
    || { echo "$preset: bench failed; $RESULTS/$preset.log says:"; tail -5 "$RESULTS/$preset.log"; exit 1; }
done

"$NODE" -e '
const fs = require("node:fs");
const dir = process.argv[1];
const rows = ["vae", "transformer"].map((name) => JSON.parse(fs.readFileSync(`${dir}/${name}.json`, "utf8")));
const ms = (x) => (x == null ? "-" : x.toFixed(2));
console.log(`adapter: ${rows[0].adapter}`);
console.log("| preset | batch | dispatches/step | graph ms | baseline ms | graph / baseline | PyTorch ms | graph / PyTorch |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const base = r.baseline;
  const torch = r.pytorch;
  console.log(`| ${r.family} | ${r.batchSize} | ${r.graph.dispatchesPerStep} | ${ms(r.graph.msPerStep)} | ${ms(base && base.msPerStep)} | ${base ? (r.graph.msPerStep / base.msPerStep).toFixed(2) + "x" : "-"} | ${ms(torch && torch.msPerStep)} | ${torch ? torch.ratio + "x" : "-"} |`);
}
if (rows[0].pytorch) console.log(`PyTorch ${rows[0].pytorch.torch} on ${rows[0].pytorch.device}`);
' "$RESULTS"
