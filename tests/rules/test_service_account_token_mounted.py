import pytest

from conftest import findings, scan_files

RULE = "service-account-token-mounted"


def deployment(pod_spec: str = "", namespace: str = "", containers: int = 1) -> str:
    meta = f"  namespace: {namespace}\n" if namespace else ""
    items = "".join(f"        - name: c{i}\n          image: ghcr.io/example/mcp:1\n" for i in range(containers))
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: mcp\n" + meta +
            "spec:\n  template:\n    spec:\n" + pod_spec + "      containers:\n" + items)


def account(name: str, namespace: str = "", automount: str = "") -> str:
    meta = f"  namespace: {namespace}\n" if namespace else ""
    return f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n{meta}" + (
        f"automountServiceAccountToken: {automount}\n" if automount else "")


def binding(account_name: str, kind: str = "RoleBinding", role: str = "Role pod-reader", subject_namespace: str = "",
            namespace: str = "") -> str:
    role_kind, role_name = role.split()
    meta = f"  namespace: {namespace}\n" if namespace else ""
    subject_ns = f"    namespace: {subject_namespace}\n" if subject_namespace else ""
    return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: b\n{meta}"
            f"subjects:\n  - kind: ServiceAccount\n    name: {account_name}\n{subject_ns}"
            f"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {role_kind}\n  name: {role_name}\n")


def check(tmp_path, files):
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


# The default account, mounted, bound to nothing -------------------------------------------------


def test_the_default_account_with_its_token_mounted(tmp_path):
    [finding] = check(tmp_path, {"k8s/deployment.yaml": deployment()})
    assert finding.line == 8  # `containers:`: the pod spec a user adds the setting to
    assert "the pods of 'mcp' get the API token of service account 'default' mounted" in finding.message
    assert "automountServiceAccountToken: false" in finding.message


def test_one_finding_per_pod_not_per_container(tmp_path):
    assert len(check(tmp_path, {"deployment.yaml": deployment(containers=3)})) == 1


def test_the_finding_sits_on_the_setting_or_the_account_name(tmp_path):
    [finding] = check(tmp_path, {"d.yaml": deployment("      automountServiceAccountToken: true\n")})
    assert finding.line == 8
    [finding] = check(tmp_path, {"d.yaml": deployment("      serviceAccountName: default\n")})
    assert finding.line == 8


def test_turned_off_in_the_pod_or_on_the_account(tmp_path):
    assert not check(tmp_path, {"d.yaml": deployment("      automountServiceAccountToken: false\n")})
    files = {"sa.yaml": account("mcp-sa", automount="false"), "d.yaml": deployment("      serviceAccountName: mcp-sa\n")}
    assert not check(tmp_path, files)


def test_the_pod_setting_wins_over_the_account(tmp_path):
    files = {"sa.yaml": account("mcp-sa", automount="false"),
             "d.yaml": deployment("      serviceAccountName: mcp-sa\n      automountServiceAccountToken: true\n")}
    [finding] = check(tmp_path, files)
    assert finding.path == "d.yaml" and finding.line == 9


# An account the manifests show, and bindings across files ------------------------------------


def test_an_account_declared_in_another_file_and_bound_to_nothing(tmp_path):
    files = {"k8s/serviceaccount.yaml": account("mcp-sa", "mcp"),
             "k8s/deployment.yaml": deployment("      serviceAccountName: mcp-sa\n", namespace="mcp")}
    [finding] = check(tmp_path, files)
    assert finding.path == "k8s/deployment.yaml" and "service account 'mcp-sa'" in finding.message


@pytest.mark.parametrize("bound", [
    binding("mcp-sa", namespace="mcp"),
    binding("mcp-sa", "ClusterRoleBinding", "ClusterRole view", subject_namespace="mcp"),
    binding("mcp-sa", "ClusterRoleBinding", "ClusterRole view"),
])
def test_an_account_bound_to_a_role_calls_the_api(tmp_path, bound):
    files = {"k8s/serviceaccount.yaml": account("mcp-sa", "mcp") + "---\n" + bound,
             "k8s/deployment.yaml": deployment("      serviceAccountName: mcp-sa\n", namespace="mcp")}
    assert not check(tmp_path, files)


def test_a_binding_in_another_namespace_does_not_count(tmp_path):
    files = {"rbac.yaml": binding("default", "ClusterRoleBinding", "ClusterRole view", subject_namespace="other"),
             "d.yaml": deployment(namespace="mcp")}
    assert check(tmp_path, files)
    files["rbac.yaml"] = binding("default", "ClusterRoleBinding", "ClusterRole view", subject_namespace="mcp")
    assert not check(tmp_path, files)


def test_an_account_the_manifests_do_not_declare_is_not_judged(tmp_path):
    # Its bindings live where its object does (a Helm chart, the cluster): nothing to judge here.
    assert not check(tmp_path, {"d.yaml": deployment("      serviceAccountName: kubectl-mcp\n")})
    assert not check(tmp_path, {"d.yaml": deployment("      serviceAccount: kubectl-mcp\n")})  # the old spelling


def test_other_formats_have_no_service_account(tmp_path):
    assert not check(tmp_path, {"compose.yaml": "services:\n  mcp:\n    image: ghcr.io/example/mcp:1\n"})


def test_the_card_shows_the_token_and_what_it_is_bound_to(tmp_path):
    files = {"sa.yaml": account("mcp-sa") + "---\n" + binding("mcp-sa", "ClusterRoleBinding", "ClusterRole cluster-admin"),
             "d.yaml": deployment("      serviceAccountName: mcp-sa\n")}
    [card] = scan_files(tmp_path, files).cards
    assert card.service_account_tokens == ("mcp-sa (ClusterRole cluster-admin)",)
    assert "a Kubernetes API token" in card.headline


def test_the_card_shows_nothing_when_no_token_is_mounted(tmp_path):
    [card] = scan_files(tmp_path, {"d.yaml": deployment("      automountServiceAccountToken: false\n")}).cards
    assert card.service_account_tokens == ()


@pytest.mark.parametrize("manifest", [
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: 7\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nsubjects: {a: 1}\nroleRef: []\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nsubjects: [7, {kind: ServiceAccount}]\nroleRef: {}\n",
    "apiVersion: v1\nkind: List\nitems:\n  - kind: ServiceAccount\n  - 3\n",
])
def test_odd_objects_do_not_crash(tmp_path, manifest):
    result = scan_files(tmp_path, {"odd.yaml": manifest, "d.yaml": deployment()}, select=(RULE,))
    assert not [n for n in result.notices if "failed" in n.message]
    assert findings(result, RULE)
