#!/usr/bin/env python3
"""Convert third-party HTTP/1.1 test cases into tandem parser test vectors.

Usage: convert.py CORPUS_DIR OUT_DIR

CORPUS_DIR is the shared corpus (normally /work/shared/corpus, i.e.
../shared/corpus from the repository); nothing from it is copied into the
repository: vectors are regenerated at test time.

Sources:
  llhttp/test/{request,response}/*.md      (MIT, nodejs/llhttp)
  http-desync-guardian/tests/*.yaml        (Apache-2.0, aws/http-desync-guardian)

Output: OUT_DIR/index.txt lists one vector file per line; each vector file
is a few "key: value" lines, an empty line, then the raw message bytes:
  name:   unique vector name
  type:   request | response
  expect: accept | reject | any
  status: expected err_status when rejected (optional)
  why:    reason when the expectation was overridden (optional)

Expectations (see README.md): llhttp cases whose log ends in an error must
be rejected, others accepted; desync-guardian Severe -> reject with 400,
Ambiguous -> reject, Compliant/Acceptable -> accept. Where tandem is
deliberately different, OVERRIDES below says so, with the reason.
Python 3 standard library only (no PyYAML: a small YAML-subset reader is
included for the desync-guardian files).
"""
import json
import os
import re
import sys

# ---------------------------------------------------------------------------
# Deliberate differences from the upstream verdicts. Keep this list short;
# every entry needs a reason. Key = vector name (printed by run_corpus).
# Value = (expect, reason).
OVERRIDES = {
    # --- llhttp: protocols and versions tandem does not speak -------------
    "llhttp-request-method-source-request-with-ice": (
        "reject", "ICE/1.0 is not HTTP; tandem speaks HTTP/1.0 and 1.1 only"),
    "llhttp-request-method-options-request-with-rtsp": (
        "reject", "RTSP/1.0 is not HTTP"),
    "llhttp-request-method-announce-request-with-rtsp": (
        "reject", "RTSP/1.0 is not HTTP"),
    "llhttp-request-sample-no-http-version": (
        "reject", "HTTP/0.9 request lines are not supported (no version = no framing rules)"),
    "llhttp-response-sample-rtsp-response": (
        "reject", "RTSP/1.0 is not HTTP"),
    "llhttp-response-sample-ice-response": (
        "reject", "ICE/1.0 is not HTTP"),
    "llhttp-response-sample-http-version-0-9": (
        "reject", "HTTP/0.9 responses are not supported: 502"),
    "llhttp-request-method-m-search-request": (
        "reject", "asterisk-form is only for OPTIONS (RFC 9112 3.2.4); M-SEARCH * is SSDP over UDP"),
    "llhttp-request-invalid-http-protocol-and-announce-method": (
        "accept", "any token is a valid method (RFC 9110 9.1); llhttp refuses methods "
                  "it does not know"),
    "llhttp-request-invalid-invalid-method": (
        "accept", "MKCOLA is a valid token method (RFC 9110 9.1); llhttp refuses methods "
                  "it does not know"),
    # --- desync-guardian: tandem is stricter on purpose --------------------
    "dg-acceptable-non-rfc-but-ok-http-0-9": (
        "reject", "HTTP/0.9 is not supported (505)"),
    "dg-acceptable-empty-version-which-means-http-0-9": (
        "reject", "HTTP/0.9 (no version) is not supported (400)"),
    "dg-acceptable-unknown-but-ok-http-1-2": (
        "reject", "versions other than 1.0/1.1 get 505 (project rule)"),
    "dg-uri-specific-test-cases-extra-spaces-in-version": (
        "reject", "RFC 9112 3: exactly one SP between elements; trailing SP makes the "
                  "request line invalid and we do not guess"),
    "dg-uri-specific-test-cases-space-in-uri": (
        "reject", "SP is not allowed in request-target (RFC 9112 3.2); guessing word "
                  "boundaries is how request lines get read two ways"),
    "dg-rfc-compliant-empty-uri": (
        "reject", "request-target must not be empty (RFC 9112 3.2)"),
    "dg-rfc-compliant-international-in-uri": (
        "reject", "raw bytes >= 0x80 are not allowed in request-target (RFC 3986); "
                  "clients must percent-encode"),
    "dg-rfc-compliant-transfer-encoding-with-a-param-chunked-custom-param": (
        "reject", "';' must introduce name=value (RFC 9112 7 transfer-parameter) and "
                  "chunked takes no parameter: 400"),
    "dg-more-compliant-tests-te-with-custom-parameters-ok": (
        "reject", "';' must introduce name=value (RFC 9112 7 transfer-parameter) and "
                  "chunked takes no parameter: 400"),
    "dg-acceptable-no-te-cl-headers-some-others-are-non-compliant": (
        "reject", "whitespace between field name and colon: MUST reject (RFC 9112 5.1)"),
    "dg-acceptable-te-and-some-others-are-non-compliant": (
        "reject", "whitespace between field name and colon: MUST reject (RFC 9112 5.1)"),
    "dg-acceptable-cl-and-some-others-are-non-compliant": (
        "reject", "whitespace between field name and colon: MUST reject (RFC 9112 5.1)"),
    "dg-acceptable-a-non-essential-header-with-a-non-printable-character-x01": (
        "reject", "CTL in a field name is not a token: 400"),
    "dg-bad-header-characters-some-header-x01": (
        "reject", "CTL in a field name is not a token: 400"),
    "dg-bad-header-characters-x01some-header": (
        "reject", "CTL in a field name is not a token: 400"),
    "dg-bad-header-characters-some-header-x01value": (
        "reject", "CTL in a field value (RFC 9110 5.5): 400"),
    "dg-bad-header-characters-some-header-value-x01": (
        "reject", "CTL in a field value (RFC 9110 5.5): 400"),
    # Transfer-Encoding in requests: tandem applies no coding but chunked,
    # so only the single value "chunked" is forwarded; any coding before it
    # (even gzip or identity) gets 501, as nginx answers (HAProxy: 422).
    "llhttp-request-transfer-encoding-post-with-chunked-as-last-transfer-encoding": (
        "reject", "a coding before chunked in a request: 501 (tandem applies no other coding)"),
    "llhttp-request-transfer-encoding-post-with-chunked-as-last-transfer-encoding-multiple-headers": (
        "reject", "a coding before chunked in a request: 501 (tandem applies no other coding)"),
    "dg-more-compliant-tests-correct-te-ok": (
        "reject", "gzip before chunked in a request: 501 (tandem applies no other coding)"),
    "dg-more-compliant-tests-transfer-encoding-identity-and-chunked-ok": (
        "reject", "codings before chunked in a request: 501 (tandem applies no other coding)"),
    "dg-more-compliant-tests-multiple-transfer-encoding-headers-in-a-single-request-ok": (
        "reject", "codings before chunked in a request: 501 (tandem applies no other coding)"),
    "dg-rfc-compliant-different-transfer-encoding-headers": (
        "reject", "codings before chunked in a request: 501 (tandem applies no other coding)"),
    "dg-rfc-compliant-different-transfer-encoding-headers-combined": (
        "reject", "codings before chunked in a request: 501 (tandem applies no other coding)"),
    # absolute-form with userinfo: 400 (RFC 9110 4.2.4 deprecates userinfo
    # in http URIs; a credential in the target would reach logs in clear)
    "llhttp-request-uri-host-port-and-basic-auth": (
        "reject", "userinfo in an absolute-form target: 400"),
    # GET/HEAD with a body: framing by Content-Length / Transfer-Encoding
    # does not depend on the method (RFC 9112 6.3), so the head parser
    # accepts it (real clients, e.g. search APIs, send GET bodies). The
    # relay forwards the body with its framing, so the next hop sees the
    # same boundaries.
    "dg-ambiguous-get-with-a-body-and-content-length": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
    "dg-ambiguous-get-with-a-body-and-transfer-encoding": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
    "dg-ambiguous-head-with-a-body-and-content-length": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
    "dg-ambiguous-head-with-a-body-and-transfer-encoding": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
    "dg-real-life-test-cases-has-a-cl-in-get": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
    "dg-real-life-test-cases-has-a-te-in-get": (
        "accept", "framing is method-independent (RFC 9112 6.3); the body is forwarded framed"),
}

# llhttp error codes that are not errors but pauses.
LLHTTP_PAUSED_UPGRADE = 22   # CONNECT / Upgrade: the rest is tunnel data
LLHTTP_PAUSED_H2 = 23        # PRI * HTTP/2.0 preface


def slug(s):
    s = s.lower()
    s = re.sub(r"[^a-z0-9]+", "-", s)
    return s.strip("-") or "x"


class Vectors:
    """Collects vectors and writes them out, keeping names unique."""

    def __init__(self, out):
        self.out = out
        self.names = set()
        self.index = []
        self.used_overrides = set()

    def add(self, name, typ, raw, expect, status=None, why=None):
        base, n = name, 2
        while name in self.names:
            name = "%s-%d" % (base, n)
            n += 1
        self.names.add(name)
        if name in OVERRIDES:
            expect, why = OVERRIDES[name]
            status = None
            self.used_overrides.add(name)
        head = ["name: " + name, "type: " + typ, "expect: " + expect]
        if status:
            head.append("status: %d" % status)
        if why:
            head.append("why: " + why.replace("\n", " "))
        fname = name + ".vec"
        with open(os.path.join(self.out, fname), "wb") as f:
            f.write(("\n".join(head) + "\n\n").encode())
            f.write(raw)
        self.index.append(fname)

    def finish(self):
        with open(os.path.join(self.out, "index.txt"), "w") as f:
            f.write("\n".join(self.index) + "\n")
        unused = sorted(set(OVERRIDES) - self.used_overrides)
        for u in unused:
            sys.stderr.write("convert.py: warning: override matches no vector: %s\n" % u)


# ---------------------------------------------------------------------------
# llhttp markdown

def llhttp_input(text):
    """Turn an llhttp ```http block (bytes) into the raw message, the way
    llhttp's test/md-test.ts does: drop the final newline, join lines ending
    in a backslash, make every newline CRLF, then expand \\r \\n \\t \\f
    \\xHH and octal escapes. Non-ASCII text stays UTF-8."""
    text = re.sub(rb"\n\Z", b"", text)
    text = re.sub(rb"\\(\r\n|\r|\n)", b"", text)
    text = re.sub(rb"\r\n|\r|\n", b"\r\n", text)
    text = text.replace(b"\\r", b"\r").replace(b"\\n", b"\n")
    text = text.replace(b"\\t", b"\t").replace(b"\\f", b"\f")
    text = re.sub(rb"\\x([0-9a-fA-F]{1,2})", lambda m: bytes([int(m.group(1), 16)]), text)
    text = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8) & 0xff]), text)
    return text


REQ_LINE = re.compile(rb"(?m)^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]+ HTTP/1\.1\r\n")


def add_host(raw):
    """llhttp vectors are not about Host, but HTTP/1.1 requires it and
    tandem refuses requests without it. Insert "Host: example.com" as the
    last field of each HTTP/1.1 request head that has none (heads with no
    CRLFCRLF end are left alone), so the vector still tests what it was
    written for. Returns (raw, changed)."""
    out, pos, changed = b"", 0, False
    for m in REQ_LINE.finditer(raw):
        if m.start() < pos:
            continue
        end = raw.find(b"\r\n\r\n", m.end() - 2)
        if end < 0:
            break
        head = raw[m.end():end + 2]
        if not re.search(rb"(?im)^host:", head):
            out += raw[pos:end + 2] + b"Host: example.com\r\n"
            pos = end + 2
            changed = True
    return out + raw[pos:], changed


def llhttp_file(vec, path, typ_dir, stem):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    title, meta, http = "", None, None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(rb"^#+\s+(.*)$", line)
        if m:
            title = m.group(1).decode("utf-8", "replace").strip()
            meta, http = None, None
            i += 1
            continue
        m = re.match(rb"^<!--\s*meta=(.*?)\s*-->", line)
        if m:
            meta = json.loads(m.group(1).decode())
            i += 1
            continue
        if line.startswith(b"```http") or line.startswith(b"```log"):
            kind = "http" if line.startswith(b"```http") else "log"
            j = i + 1
            while j < len(lines) and lines[j].rstrip(b"\r") != b"```":
                j += 1
            body = b"\n".join(lines[i + 1:j])
            i = j + 1
            if kind == "http":
                http = llhttp_input(body + b"\n")
            elif http is not None and meta is not None:
                llhttp_case(vec, typ_dir, stem, title, meta, http, body.decode("utf-8", "replace"))
                http = None
            continue
        i += 1


def llhttp_case(vec, typ_dir, stem, title, meta, raw, log):
    mtype = meta.get("type", typ_dir)
    typ = "response" if mtype.startswith("response") else "request"
    err = None
    for line in log.strip().split("\n"):
        m = re.search(r"error code=(\d+)", line)
        if m:
            err = int(m.group(1))
    name = "llhttp-%s-%s-%s" % (typ_dir, stem, slug(title))
    why = None
    if typ == "request":
        raw, added = add_host(raw)
        if added:
            why = "Host added (RFC 9112 3.2 requires it; llhttp does not check)"
    paused = err in (LLHTTP_PAUSED_UPGRADE, LLHTTP_PAUSED_H2)
    if "lenient" in mtype:
        # Only llhttp with a leniency flag accepts it: we may refuse.
        expect = "reject" if err is not None and not paused else "any"
        why = "llhttp lenient mode case"
    elif err == LLHTTP_PAUSED_UPGRADE:
        expect = "accept"          # a pause, not an error
    elif err == LLHTTP_PAUSED_H2:
        expect, why = "any", "HTTP/2 preface: llhttp pauses, tandem refuses"
    elif err is not None:
        expect = "reject"
    elif meta.get("skipBody"):
        expect, why = "any", "llhttp-specific skipBody callback"
    else:
        expect = "accept"
    vec.add(name, typ, raw, expect, why=why)


# ---------------------------------------------------------------------------
# A YAML subset: block mappings and sequences by indentation, plain,
# single-quoted and double-quoted scalars, full-line and trailing comments.
# Enough for the desync-guardian test files, nothing more.

DQ_ESC = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"',
          "/": "/", " ": " ", "a": "\a", "b": "\b", "e": "\x1b", "v": "\v",
          "f": "\f"}


def yaml_scalar(s):
    s = s.strip()
    if s.startswith('"'):
        out, i = [], 1
        while i < len(s):
            c = s[i]
            if c == '"':
                return "".join(out)
            if c == "\\":
                e = s[i + 1]
                if e == "x":
                    out.append(chr(int(s[i + 2:i + 4], 16)))
                    i += 4
                    continue
                if e == "u":
                    out.append(chr(int(s[i + 2:i + 6], 16)))
                    i += 6
                    continue
                out.append(DQ_ESC[e])
                i += 2
                continue
            out.append(c)
            i += 1
        raise ValueError("unterminated double-quoted scalar: " + s)
    if s.startswith("'"):
        out, i = [], 1
        while i < len(s):
            if s[i] == "'":
                if s[i + 1:i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out)
            out.append(s[i])
            i += 1
        raise ValueError("unterminated single-quoted scalar: " + s)
    s = re.sub(r"\s+#.*$", "", s)   # trailing comment on a plain scalar
    return s


def yaml_lines(text):
    out = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append((len(raw) - len(raw.lstrip(" ")), raw.strip()))
    return out


def yaml_split_key(s):
    """'key: value' -> (key, value or None). Keys here are plain words."""
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:\s+(.*))?$", s)
    if not m:
        raise ValueError("expected 'key: value', got: " + s)
    return m.group(1), m.group(2)


def yaml_node(lines, i, indent):
    """Parse the node starting at lines[i] with the given indent."""
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        seq = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
            rest = lines[i][1][1:].lstrip(" ")
            sub = indent + (len(lines[i][1]) - len(rest))
            if not rest:
                item, i = yaml_node(lines, i + 1, lines[i + 1][0])
            elif re.match(r"^[A-Za-z_][A-Za-z0-9_-]*:(\s|$)", rest):
                lines[i] = (sub, rest)   # mapping starting on the dash line
                item, i = yaml_map(lines, i, sub)
            else:
                item, i = yaml_scalar(rest), i + 1
            seq.append(item)
        return seq, i
    return yaml_map(lines, i, indent)


def yaml_map(lines, i, indent):
    mp = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        key, val = yaml_split_key(lines[i][1])
        i += 1
        if val is None or val == "":
            if i < len(lines) and (lines[i][0] > indent or
                                   (lines[i][0] == indent and lines[i][1].startswith("- "))):
                mp[key], i = yaml_node(lines, i, lines[i][0])
            else:
                mp[key] = None
        else:
            mp[key] = yaml_scalar(val)
    return mp, i


def yaml_load(text):
    lines = yaml_lines(text)
    if not lines:
        return []
    node, i = yaml_node(lines, 0, lines[0][0])
    if i != len(lines):
        raise ValueError("YAML subset: could not parse line %r" % (lines[i],))
    return node


def dg_file(vec, path, stem):
    with open(path, encoding="utf-8") as f:
        cases = yaml_load(f.read())
    for case in cases:
        method = case.get("method") or ""
        uri = case.get("uri") or ""
        version = case.get("version") or ""
        hdrs = case.get("headers") or []
        start = "%s %s %s" % (method, uri, version) if version else "%s %s" % (method, uri)
        out = start + "\r\n"
        # HTTP/1.1 requires Host; the cases are about other fields, so add
        # one when the case has none (otherwise every case would be refused
        # for the missing Host and prove nothing).
        if not any(h.get("name", "").lower() == "host" for h in hdrs):
            out += "Host: example.com\r\n"
        for h in hdrs:
            out += "%s: %s\r\n" % (h.get("name") or "", h.get("value") or "")
        out += "\r\n"
        tier = case["expected"]["tier"]
        expect, status = {"Severe": ("reject", 400), "Ambiguous": ("reject", None),
                          "Compliant": ("accept", None),
                          "Acceptable": ("accept", None)}[tier]
        name = "dg-%s-%s" % (stem, slug(case["name"]))
        vec.add(name, "request", out.encode("utf-8"), expect, status=status)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: convert.py CORPUS_DIR OUT_DIR\n")
        return 2
    corpus, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old.endswith(".vec") or old == "index.txt":
            os.unlink(os.path.join(out, old))
    vec = Vectors(out)
    for typ in ("request", "response"):
        d = os.path.join(corpus, "llhttp", "test", typ)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".md") or fn.startswith("lenient-") or fn == "pausing.md":
                continue
            llhttp_file(vec, os.path.join(d, fn), typ, fn[:-3])
    d = os.path.join(corpus, "http-desync-guardian", "tests")
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".yaml"):
            dg_file(vec, os.path.join(d, fn), fn[:-5])
    vec.finish()
    print("convert.py: %d vectors in %s" % (len(vec.index), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
