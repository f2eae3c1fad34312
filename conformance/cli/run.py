#!/usr/bin/env python3
"""Runs the conformance scenarios (conformance/SCENARIOS.md) through an AWS CLI
binary, one process per call, against $OPENCHIME_ENDPOINT.

usage: run.py CLIENT_NAME /absolute/path/to/aws

Input goes in as --cli-input-json (the same PascalCase members as the API),
output comes back with --output json; an error is exit status 255 (v1) or 254 (v2) and
`An error occurred (NotFoundException) when calling the X operation: msg` on
stderr. The CLI prints the exception name and message but not the body's Code
member, so for the CLIs Code is not checked."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenarios import ACCESS_KEY_ID, SECRET_ACCESS_KEY, ApiError, Fail, Suite  # noqa: E402

ERROR = re.compile(r"An error occurred \(([^)]+)\) when calling the (\w+) operation(?: \(reached max retries: \d+\))?: (.*)", re.S)


class CLI:
    # The CLI does not show the HTTP status of a call.
    last_status = None

    def __init__(self, aws, endpoint, version, secret=SECRET_ACCESS_KEY):
        self.aws, self.endpoint, self.version = aws, endpoint, version
        # A service error exits 255 in v1 and 254 in v2 (v2 keeps 255 for
        # other failures).
        self.error_exit = 254 if version.startswith("aws-cli/2") else 255
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=secret,
                        AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_MAX_ATTEMPTS="1",
                        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        self.env.pop("AWS_PROFILE", None)

    def with_secret(self, secret):
        return CLI(self.aws, self.endpoint, self.version, secret)

    def run(self, command, params, extra=()):
        argv = [self.aws, "chime", command, "--endpoint-url", self.endpoint, "--output", "json",
                "--cli-input-json", json.dumps(params), *extra]
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60)
        if p.returncode == 0:
            return json.loads(p.stdout) if p.stdout.strip() else {}
        m = ERROR.search(p.stderr)
        if p.returncode == self.error_exit and m:
            raise ApiError(m.group(1), None, m.group(3).strip())
        raise Fail(f"{command} exited {p.returncode}: {p.stderr.strip()[-300:]}")

    def call(self, op, params):
        return self.run(re.sub(r"(?<!^)(?=[A-Z])", "-", op).lower(), params)

    def list_user_pages(self, account, size):
        # --page-size sets MaxResults; --max-items cuts the CLI's output to one
        # page and hands back its own NextToken for --starting-token.
        pages, token = [], None
        while True:
            extra = ["--page-size", str(size), "--max-items", str(size)]
            if token:
                extra += ["--starting-token", token]
            out = self.run("list-users", {"AccountId": account}, extra)
            pages.append(out.get("Users", []))
            token = out.get("NextToken")
            if not token or len(pages) > 50:
                return pages


if __name__ == "__main__":
    endpoint = os.environ.get("OPENCHIME_ENDPOINT")
    if not endpoint or len(sys.argv) != 3:
        sys.exit("usage: OPENCHIME_ENDPOINT=http://... run.py CLIENT_NAME /path/to/aws")
    name, aws = sys.argv[1], sys.argv[2]
    version = subprocess.run([aws, "--version"], capture_output=True, text=True)
    version = (version.stdout or version.stderr).strip()
    print(name, aws, version)
    sys.exit(1 if Suite(name, endpoint, CLI(aws, endpoint, version), code_readable=False).run(parallel_groups=True) else 0)
