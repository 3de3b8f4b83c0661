"""Git, run on values from hostile inputs. A catalog entry or a list line chooses a URL, a commit, a
branch and a folder; none of them may ever become an option, a command or a path outside the
clone. Every git command mcpharden runs goes through `_git`: fixed options first, `--`, then
the values, each checked before (a commit is 40 or 64 hex digits, a branch passes `git
check-ref-format`, a URL uses a plain transport). Credentials in a URL never reach a command
line, `.git/config` or anything stored: the URL is cloned without them and they travel in the
environment of that one command."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

from mcpharden.util.usercache import private_folder

CLONE_SECONDS = 300
# Transports git may use: never `ext::` (it runs a command) or anything else unusual.
GIT_PROTOCOLS = ("https", "http", "ssh", "git", "file")
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256 object names, in full
_SCHEME_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)$", re.DOTALL)
_PROTOCOLS = ["-c", "protocol.allow=never", *[arg for p in GIT_PROTOCOLS for arg in ("-c", f"protocol.{p}.allow=always")]]
# Nothing of the repository runs: no hooks, no LFS or other filters, no submodules, no fsmonitor.
_INERT = ["-c", "core.hooksPath=/dev/null", "-c", "filter.lfs.smudge=", "-c", "filter.lfs.process=",
          "-c", "filter.lfs.required=false", "-c", "submodule.recurse=false", "-c", "core.fsmonitor=false"]


class EntryError(ValueError):
    """A value of the entry itself that mcpharden refuses to use (the server is an error row)."""


def split_credentials(url: str) -> tuple[str, str]:
    """(the URL without its credential, the credential): `https://user:token@host/x` is cloned
    as `https://host/x` with `user:token` sent as a header. An ssh user name is not a secret
    (it picks the account) and stays; an ssh password git cannot use anyway is dropped."""
    match = _SCHEME_URL.match(url)
    if not match or "@" not in match.group("authority"):
        return url, ""
    userinfo, _, host = match.group("authority").rpartition("@")
    scheme = match.group("scheme")
    if scheme.lower() == "ssh":
        user = userinfo.split(":", 1)[0]
        return f"{scheme}://{user}@{host}{match.group('rest')}", ""
    return f"{scheme}://{host}{match.group('rest')}", userinfo


def check_url(url: str) -> str:
    """The URL, if git may clone it: a plain transport, and no part that git could read as an
    option (a host or user starting with `-` is how ssh was once made to run a command)."""
    match = _SCHEME_URL.match(url)
    if match:
        scheme, authority = match.group("scheme").lower(), match.group("authority")
    elif re.match(r"^[\w.-]+@[\w.-]+:", url):  # scp-like `git@host:owner/name`
        scheme, authority = "ssh", url.split(":", 1)[0]
    else:
        raise EntryError(f"{url!r}: not a git URL mcpharden clones")
    if scheme not in GIT_PROTOCOLS:
        raise EntryError(f"{scheme}://: not a transport mcpharden clones (only {', '.join(GIT_PROTOCOLS)})")
    if any(part.startswith("-") for part in re.split(r"[@:]", authority)) or any(c in url for c in "\x00\n\r"):
        raise EntryError("the URL has a part git would read as an option or a line break")
    return url


def check_commit(commit: str) -> str:
    """A commit is named in full (40 hex digits, 64 for SHA-256): nothing else reaches `git fetch`."""
    if not _COMMIT.fullmatch(commit.lower()):
        raise EntryError(f"commit {commit[:80]!r}: not a full commit hash (40 or 64 hex digits)")
    return commit.lower()


def check_branch(branch: str) -> str:
    """A branch or ref name git itself accepts (`git check-ref-format`), never an option or a refspec."""
    # check-ref-format takes no `--`: a leading `-` (an option) or `+` (a forced refspec) is refused first.
    if not branch or branch[0] in "-+" or len(branch) > 255 or any(c in branch for c in "\x00\n\r"):
        raise EntryError(f"branch {branch[:80]!r}: not a ref name")
    done = subprocess.run(["git", "check-ref-format", "--allow-onelevel", branch], capture_output=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise EntryError(f"branch {branch[:80]!r}: not a ref name (git check-ref-format)")
    return branch


def inside(root: Path, relative: str) -> Path:
    """`root/relative`, resolved, if it stays inside `root`: a catalog's `source.directory` of
    `../../etc`, or a folder in the clone that is a symlink out of it, is refused."""
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(root / relative.lstrip("/")))
    if not target.is_relative_to(real_root):
        raise EntryError(f"directory {relative[:120]!r}: leads outside the repository")
    return target


def checkout(url: str, credential: str, commit: str, branch: str, cache: str, name: str) -> tuple[Path, str]:
    """(a shallow checkout of `url` in the cache, the commit it holds): at `commit` (else at
    `branch`, else the default branch), reused when it is there; only plain transports, and
    nothing of the repository runs. One download: exactly the revision named is fetched, and a
    revision that cannot be fetched is an error, never the default branch audited in its place."""
    url = check_url(url)
    revision = check_commit(commit) if commit else check_branch(branch) if branch else ""
    pinned = f"{url}@{commit}" + (f"#{branch}" if branch and not commit else "")
    # The folder is named by a hash of the URL without its credential: nothing secret in a path.
    slug = re.sub(r"[^\w.-]+", "_", name)[:60] + "-" + hashlib.sha256(pinned.encode()).hexdigest()[:12]
    target = Path(cache) / slug
    env = _environment(url, credential)
    if (target / ".git").is_dir():
        return target, _head(target, env)
    Path(cache).mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)  # a clone an earlier run left half done
    private_folder(partial)  # 0700: git fills the empty folder, which keeps its mode
    try:
        # init + fetch of the one revision: no remote is configured (the URL is in no file), and a
        # branch or a commit costs one download, not the default branch's first.
        done = _git(["init", "--quiet"], [str(partial)], env)
        if done.returncode != 0:
            raise RuntimeError(f"git init failed: {done.stderr.strip()[-300:]}")
        fetch = _git(["-C", str(partial), "fetch", "--quiet", "--depth", "1", "--no-tags"], [url, revision or "HEAD"], env)
        if fetch.returncode != 0:
            what = f"commit {revision}" if commit else f"branch {revision}" if branch else "the default branch"
            raise RuntimeError(f"git fetch of {what} failed: {fetch.stderr.strip()[-300:]}")
        done = _git(["-C", str(partial), "checkout", "--quiet", "--detach", "FETCH_HEAD"], [], env)
        if done.returncode != 0:
            raise RuntimeError(f"git checkout failed: {done.stderr.strip()[-300:]}")
        head = _head(partial, env)
        if commit and head != revision:  # a server that answered with another commit: not what the entry names
            raise RuntimeError(f"git fetch of commit {revision} gave {head or 'nothing'}")
    except BaseException:  # nothing half fetched stays in the cache
        shutil.rmtree(partial, ignore_errors=True)
        raise
    os.replace(partial, target)
    return target, head


def _head(checkout: Path, env: dict[str, str]) -> str:
    done = _git(["-C", str(checkout), "rev-parse", "--verify", "--quiet", "HEAD"], [], env)
    head = done.stdout.strip()
    return head if _COMMIT.fullmatch(head) else ""


def _git(options: list[str], values: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """git with mcpharden's fixed options, then `--`, then the values: a value is never an option."""
    command = ["git", *_PROTOCOLS, *_INERT, *options, *(["--", *values] if values else [])]
    return subprocess.run(command, capture_output=True, text=True, timeout=CLONE_SECONDS, env=env, stdin=subprocess.DEVNULL)


def _environment(url: str, credential: str) -> dict[str, str]:
    """The environment of one git command: no prompts, no LFS downloads, no system config, and
    the URL's credential (if any) as an `Authorization` header for that URL's host only, passed
    through `GIT_CONFIG_*` so it is on no command line and in no file."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1", "GIT_CONFIG_NOSYSTEM": "1"}
    match = _SCHEME_URL.match(url)
    if not credential or not match or match.group("scheme").lower() not in ("http", "https"):
        return env
    user, _, password = credential.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))  # keep the user's own entries
    except ValueError:
        count = 0
    site = f"{match.group('scheme').lower()}://{match.group('authority')}/"
    env.update({"GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": f"http.{site}.extraHeader",
                f"GIT_CONFIG_VALUE_{count}": f"Authorization: Basic {token}"})
    return env
