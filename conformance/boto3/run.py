#!/usr/bin/env python3
"""Runs the conformance scenarios (conformance/SCENARIOS.md) through boto3
against the server at $OPENCHIME_ENDPOINT; results go to $OPENCHIME_RESULTS."""

import os
import re
import sys

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenarios import ACCESS_KEY_ID, SECRET_ACCESS_KEY, ApiError, Suite  # noqa: E402


class Boto3:
    def __init__(self, endpoint, secret=SECRET_ACCESS_KEY):
        self.endpoint = endpoint
        self.last_status = None
        self.client = boto3.client(
            "chime", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}))

    def with_secret(self, secret):
        return Boto3(self.endpoint, secret)

    def call(self, op, params):
        method = getattr(self.client, re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower())
        self.last_status = None
        try:
            out = method(**params)
        except self.client.exceptions.ClientError as e:
            self.last_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # A typed exception: the class is looked up from the modelled shape,
            # and botocore merges the body's Code and Message into the response.
            if type(e).__name__ == "ClientError":
                raise ApiError("untyped " + e.response["Error"]["Code"], None, e.response["Error"].get("Message"))
            raise ApiError(type(e).__name__, e.response.get("Code"), e.response.get("Message"))
        self.last_status = out.pop("ResponseMetadata", {}).get("HTTPStatusCode")
        return out

    def list_user_pages(self, account, size):
        pages = self.client.get_paginator("list_users").paginate(AccountId=account, PaginationConfig={"PageSize": size})
        return [p.get("Users", []) for p in pages]


if __name__ == "__main__":
    endpoint = os.environ.get("OPENCHIME_ENDPOINT")
    if not endpoint:
        sys.exit("OPENCHIME_ENDPOINT is unset: start a server (see .ci/conformance.sh) and point this at it")
    print("boto3", boto3.__version__)
    sys.exit(1 if Suite("boto3", endpoint, Boto3(endpoint)).run() else 0)
