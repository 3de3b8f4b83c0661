"""## What it does
Finds Kubernetes pods that get their service account's API token mounted
(`/var/run/secrets/kubernetes.io/serviceaccount/token`) although the manifests show no use for
it. The token is mounted unless `automountServiceAccountToken: false` is set in the pod spec or,
when the pod does not say, on its ServiceAccount.

Whether a server calls the Kubernetes API is judged from the manifests scanned together (all
the repository's manifests: a kustomize layout keeps the ServiceAccount and the bindings in
files of their own): a pod is flagged when its service account is bound to no Role or
ClusterRole by a RoleBinding or ClusterRoleBinding there, and the manifests show the whole
account: it is the namespace's `default` account, or its ServiceAccount object is among them.
A pod that names an account the manifests do not declare is not judged (its bindings live
elsewhere: a Helm chart, another repository, the cluster). One finding per pod, on its
`automountServiceAccountToken` or `serviceAccountName` line, else its `containers:` line.

## Why is this bad?
The token is a credential for the cluster's API server, readable by any process in the pod. An
attacker who gets code execution in the MCP server uses it to query the API, and holds whatever
the cluster grants that account, there or later: bindings made for another workload sharing the
`default` account, a ClusterRoleBinding added by an operator. A server that never talks to the
API gains nothing from it.

## Example
```yaml
<!-- sample: bad.yaml -->
```

Use instead:
```yaml
<!-- sample: good.yaml -->
```

## How to fix
Set `automountServiceAccountToken: false` in the pod spec (or on a dedicated ServiceAccount for
the server). A server that does call the API should run as its own ServiceAccount, bound to a
Role that grants only what it needs, in the same manifests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, container_finding

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for spec in project.containers:
        account = spec.service_account
        if account is None or spec.service_account_token is not True or spec.service_account_roles:
            continue
        if account != "default" and not spec.service_account_declared:
            continue  # an account declared elsewhere: its bindings are not in what was scanned
        line = spec.line_of("service_account_token")
        if (spec.path, line) in seen:
            continue  # one finding per pod, not per container
        seen.add((spec.path, line))
        pod = spec.name.rsplit("/", 1)[0]
        message = (f"the pods of '{pod}' get the API token of service account '{account}' mounted, and no Role or "
                   "ClusterRole is bound to that account in the scanned manifests: set automountServiceAccountToken: false")
        yield container_finding(RULE, spec, line, message, service_account=account)


RULE = Rule(
    id="service-account-token-mounted",
    title="Kubernetes API token mounted but not used",
    severity=Severity.MEDIUM,
    category="privilege",
    why="The mounted service account token is a credential for the cluster's API server that a compromised server hands over.",
    remedy="Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Kubernetes", "`automountServiceAccountToken: false` in the pod spec, or on the ServiceAccount"),
        ("compose", "not applicable: a compose service gets no Kubernetes API token"),
        ("docker run", "not applicable: mount no kubeconfig or token (`sensitive-host-mount` finds `~/.kube`)"),
        ("client config", "not applicable: mount no kubeconfig or token (`sensitive-host-mount` finds `~/.kube`)"),
    ),
    cwe=("CWE-522",),
    peers=("Trivy KSV036", "Checkov CKV_K8S_38", "KICS Service Account Token Automount Not Disabled"),
    keeps="a mounted Kubernetes API token",
)
