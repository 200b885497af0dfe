#!/usr/bin/env python3
"""A companion app: who is signed in, and a token for our API. Standard library only."""
import json, os, socket, sys

def call(sock, reader, method, **params):
    sock.sendall(json.dumps({"id": 1, "method": method, "params": params}).encode() + b"\n")
    while True:
        message = json.loads(reader.readline())
        if "event" not in message:  # events may come first; the answer has no "event"
            return message

sock = socket.socket(socket.AF_UNIX)
sock.connect(os.path.join(os.environ["XDG_RUNTIME_DIR"], "signet", "agent.sock"))
reader = sock.makefile("r", encoding="utf-8")
who = call(sock, reader, "whoami")
if "error" in who:
    sys.exit(f"signet: {who['error']['message']}")
print("Signed in:", who["result"]["identity"]["email"])
token = call(sock, reader, "token", min_valid=60)
if "error" in token:
    sys.exit(f"signet: {token['error']['message']}")
print("Token valid for", token["result"]["expires_in"], "s")  # use token["result"]["access_token"]; never print it
