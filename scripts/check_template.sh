#!/usr/bin/env bash
# Template checks (`make check-template`, part of `make test`), offline and without credentials:
#   1. sam validate --lint            the SAM transform and cfn-lint's CloudFormation rules
#   2. cfn-lint + cfn-lint-serverless the serverless rules (log retention, tracing, DLQs, throttling...)
#   3. asl-validator                  every state machine definition (a Next to a missing state fails)
#   4. a negative control             a copy of the engine definition with a Next to a missing state
#                                     must be rejected, proving step 3 really checks transitions.
#   5. the timeout chain              SDK timeout x attempts and the call budget < the AI_CALL Lambda
#                                     timeout < the AiCall state's TimeoutSeconds; every Task state
#                                     outlives its Lambda; the API Lambda fits API Gateway's 29 s.
# Tools: .venv-tools (requirements/tools.txt) and node_modules (package-lock.json), both
# installed by the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${TOOLS_VENV:-.venv-tools}/bin"
ASL_VALIDATOR=node_modules/.bin/asl-validator
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

echo "== sam validate --lint"
"$TOOLS/sam" validate --lint --template template.yaml --region "$AWS_DEFAULT_REGION"

echo "== cfn-lint with the serverless rules"
"$TOOLS/cfn-lint" template.yaml -a cfn_lint_serverless.rules
echo "template.yaml: no cfn-lint or serverless-rule findings"

echo "== asl-validator"
for definition in statemachine/*.asl.json; do
  "$ASL_VALIDATOR" --json-path "$definition"
done

echo "== negative control: a Next to a missing state must fail"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
node -e '
  const fs = require("fs");
  const [source, target] = process.argv.slice(1);
  const definition = JSON.parse(fs.readFileSync(source, "utf8"));
  const [name, state] = Object.entries(definition.States).find(([, s]) => s.Next);
  state.Next = "NoSuchState";
  fs.writeFileSync(target, JSON.stringify(definition));
  console.log(`copy with ${name}.Next -> NoSuchState`);
' statemachine/engine.asl.json "$scratch/broken.asl.json"
if "$ASL_VALIDATOR" --silent --json-path "$scratch/broken.asl.json"; then
  echo "FAIL: asl-validator accepted a definition with a Next to a missing state" >&2
  exit 1
fi
echo "asl-validator rejected it, as it must"

echo "== timeout chain"
"$TOOLS/python" - <<'PY'
import json
import sys
from pathlib import Path

sys.path.insert(0, ".")
from local_stack.template import load_template, substitution_function  # noqa: E402

template = load_template(Path("template.yaml"))
params, resources = template["Parameters"], template["Resources"]
default_timeout = template["Globals"]["Function"]["Timeout"]
machine = next(r for r in resources.values() if r["Type"] == "AWS::Serverless::StateMachine")["Properties"]


def timeout(logical_id):
    return resources[logical_id]["Properties"].get("Timeout", default_timeout)


def task_states(definition):
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            yield name, state
        if state["Type"] == "Map":
            yield from task_states(state["ItemProcessor"])


errors = []
ai_call = timeout("AiCallFunction")
worst_sdk = params["AiTimeoutSeconds"]["MaxValue"] * (1 + params["AiMaxRetries"]["MaxValue"])
if not worst_sdk < ai_call:
    errors.append(f"AiTimeoutSeconds x attempts can reach {worst_sdk} s, not below AI_CALL's {ai_call} s")
if not params["AiCallBudgetSeconds"]["MaxValue"] < ai_call:
    errors.append(f"AiCallBudgetSeconds can reach the AI_CALL timeout ({ai_call} s)")
by_placeholder = {
    "${" + key + "}": substitution_function(key, value) for key, value in machine["DefinitionSubstitutions"].items()
}
definition = json.loads(Path(machine["DefinitionUri"]).read_text(encoding="utf-8"))
for name, state in task_states(definition):
    function = by_placeholder[state["Resource"]]
    if not timeout(function) < state["TimeoutSeconds"]:
        errors.append(f"state {name}: TimeoutSeconds {state['TimeoutSeconds']} <= {function} Timeout")
    print(f"{name}: {function} {timeout(function)} s < state {state['TimeoutSeconds']} s")
if timeout("ApiFunction") > 29:
    errors.append("ApiFunction's Timeout exceeds API Gateway's 29 s integration timeout")
print(f"AI_CALL: SDK worst case {worst_sdk} s and call budget <= {params['AiCallBudgetSeconds']['MaxValue']} s "
      f"< Lambda {ai_call} s")
if errors:
    sys.exit("\n".join(errors))
PY
