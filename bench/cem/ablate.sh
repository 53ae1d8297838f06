#!/usr/bin/env bash
# CEM ablations (issue 17, item 5): the full loop against the loop without (or with) the subspace constraint,
# without replay (replay share 0, no general items) and without grounding (sculpt evolve --ungrounded), on the
# new-world test's PeopleWorld and on the demo's KnowledgeWorld. Figures: bench/RESULTS.md, "CEM ablations".
# usage: bench/cem/ablate.sh people|demo OUT_DIR SEED...    (e.g. bench/cem/ablate.sh people /tmp/ablate 17 3 29)
# Prints one tab-separated line per run and writes OUT_DIR/summary-WORLD.tsv; every run's metrics.json and logs
# stay under OUT_DIR. CEM_PEOPLE_VARIANTS="name=flags;name=flags" runs those people variants instead.
# Rough cost on 2 shared cores: people ~2-4 min per seed, demo ~5-8 min per seed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ $# -lt 3 ]]; then sed -n 5,6p "$0"; exit 2; fi
(cd "$root" && ./mvnw -q -B -o -pl bench -am -DskipTests compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"   # the reactor build names the modules' target/classes there
exec java -Dcem.people.variants="${CEM_PEOPLE_VARIANTS:-}" -Dorg.bytedeco.javacpp.logger=slf4j -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" dev.sculpt.bench.CemAblation "$@"
