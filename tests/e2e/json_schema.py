#!/usr/bin/env python3
"""Validate JSON documents against docs/psctl-output.schema.json.

usage: json_schema.py SCHEMA FILE...   each FILE one JSON document
Exit 0 when every FILE is valid; else 1, one line per invalid FILE naming
the path inside the document and why.  The schema itself is checked first
(Draft 2020-12 metaschema), so a broken schema never passes a document.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for name in argv[2:]:
        with open(name, encoding="utf-8", errors="strict") as f:
            doc = json.load(f)
        if not list(v.iter_errors(doc)):
            continue
        bad += 1
        # The definition of the document's own command names the member
        # at fault better than "not valid under any of the given schemas".
        why = None
        for alt in schema["oneOf"]:
            d = schema["$defs"][alt["$ref"].split("/")[-1]]
            if d["properties"]["command"].get("const") == doc.get("command"):
                one = dict(schema)
                del one["oneOf"]
                one["$ref"] = alt["$ref"]
                why = why or jsonschema.exceptions.best_match(
                    cls(one).iter_errors(doc))
        why = why or jsonschema.exceptions.best_match(v.iter_errors(doc))
        where = "/".join(str(p) for p in why.absolute_path) or "(document)"
        print("%s: %s: %s" % (name, where, why.message))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
