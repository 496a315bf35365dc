#!/usr/bin/env python3
"""Checks that scenarios/schema.json agrees with the scenario loader (sim/scenario.cpp).

Validates with python3-jsonschema:
  - every shipped scenario, scenarios/*.json, and every tests/data/good_scenarios/*.json:
    must be valid;
  - every tests/data/bad_scenarios/*.json (one error each, said in its "description"):
    must be invalid, except the few whose error JSON Schema cannot express (listed in
    SCHEMA_CANNOT_EXPRESS with the reason). Those must be *valid* against the schema, so the
    list stays honest: if the schema learns to catch one, the script asks to remove it.
The loader's side of the agreement (good ones load, bad ones fail) is the Catch2 test
"loader: every good fixture and shipped scenario loads, every bad fixture fails".

Usage: scenario_schema_check.py [REPO_ROOT]   (default: the parent of this script's folder)
Exit codes: 0 agreement, 1 disagreement, 77 jsonschema is not installed (ctest: skipped).
"""
import json
import pathlib
import sys

# Bad fixtures whose error only the loader can see, and why.
SCHEMA_CANNOT_EXPRESS = {
    "unknown_node_in_event.json": "node names in events must be among the scenario's nodes: a cross-reference",
    "overlapping_partition_groups.json": "groups must not share a node: uniqueness across nested arrays",
    "at_beyond_duration.json": "`at` must not exceed `duration`: a comparison between two values",
    "uniform_min_above_max.json": "min <= max: a comparison between two values",
    "partition_single_group.json": "at least 2 groups counting the left-out nodes: depends on the node set",
    "workload_unknown_var.json": "workload variables must be declared in `variables`: a cross-reference",
    "unknown_resolve.json": "merge functions are registered in the running process: the schema cannot list them",
    "cas_on_eventual_variable.json": "cas must name a strong variable: a cross-reference to `variables`",
    "linearizable_on_eventual_variable.json": "linearizable must name a strong variable: a cross-reference to `variables`",
    "lease_drift_above_max.json": "drift within config.max_drift while read is lease: a comparison between two values",
    "swarm_by_inside_window.json": "a check's `by` must lie after the swarm window's end: a comparison between two values",
    "selector_unbound_name.json": "a \"$X\" target must name an earlier event's `as`: a cross-reference in time order",
    "selector_host_unknown_agent.json": "host:NAME must name an agent some spawn names: a cross-reference",
    "send_unknown_agent.json": "a send's `to` must name an agent some spawn names: a cross-reference",
    "agent_state_not_counter.json": "agent_state's agent must be spawned as a counter: a cross-reference",
    "spawn_bad_state.json": "a state must be one the agent's type takes: the types' own rules, checked by restoring it",
}


def main():
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    try:
        import jsonschema
    except ImportError:
        print("skipped: python3-jsonschema is not installed (apt-get install -y python3-jsonschema)")
        return 77

    schema_path = root / "scenarios" / "schema.json"
    schema = json.loads(schema_path.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def errors_of(path):
        try:
            document = json.loads(path.read_text())
        except ValueError as e:
            return [f"not JSON: {e}"]
        return [f"{'/' + '/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                for e in validator.iter_errors(document)]

    problems = []
    good = sorted((root / "scenarios").glob("*.json")) + sorted((root / "tests/data/good_scenarios").glob("*.json"))
    good = [p for p in good if p != schema_path]
    for path in good:
        errors = errors_of(path)
        if errors:
            problems.append(f"{path}: expected valid, schema says: {errors[0]}")

    bad = sorted((root / "tests/data/bad_scenarios").glob("*.json"))
    if not bad:
        problems.append("no bad fixtures found under tests/data/bad_scenarios")
    for path in bad:
        try:
            description = json.loads(path.read_text()).get("description")
        except ValueError:
            description = None  # a fixture may be broken JSON on purpose
        if not isinstance(description, str) or not description:
            problems.append(f"{path}: a bad fixture needs a \"description\" saying what is wrong")
        errors = errors_of(path)
        if path.name in SCHEMA_CANNOT_EXPRESS:
            if errors:
                problems.append(f"{path}: listed as inexpressible in JSON Schema, but the schema rejects it "
                                f"({errors[0]}); remove it from SCHEMA_CANNOT_EXPRESS")
        elif not errors:
            problems.append(f"{path}: expected invalid ({description}), but the schema accepts it")

    for name in sorted(SCHEMA_CANNOT_EXPRESS):
        if not (root / "tests/data/bad_scenarios" / name).exists():
            problems.append(f"SCHEMA_CANNOT_EXPRESS names {name}, which is not in tests/data/bad_scenarios")

    for line in problems:
        print(line)
    print(f"{len(good)} good and {len(bad)} bad scenario files checked against {schema_path}: "
          f"{'agreement' if not problems else str(len(problems)) + ' problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
