// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// variant is a captured example with some fields changed, as JSON text.
func variant(t *testing.T, name string, change func(ev map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(example(name))
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	change(ev)
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return string(out)
}

func inNamespace(ns string) func(map[string]any) {
	return func(ev map[string]any) {
		ev["objectRef"].(map[string]any)["namespace"] = ns
		ev["requestURI"] = strings.ReplaceAll(ev["requestURI"].(string), "/audit-demo/", "/"+ns+"/")
	}
}

type policyCase struct {
	name  string
	input string
	// chosen is the level k8s.io/apiserver's rule evaluator chooses for the
	// event's request; want is the level of the record that comes out (never
	// above the level at the source), "" when it is dropped.
	chosen, want string
}

func (c policyCase) run(t *testing.T, p *auditProcessor) {
	t.Run(c.name, func(t *testing.T) {
		in := logsFrom(t, false, c.input)
		ev := auditevent.FromPartialMap(records(in)[0].Body().Map(), "")
		assert.Equal(t, c.chosen, string(p.policy.eval.EvaluatePolicyRule(attributesOf(&ev)).Level), "level chosen")
		out := process(t, p, in)
		if c.want == "" {
			assert.Zero(t, out.LogRecordCount(), "dropped")
			return
		}
		require.Equal(t, 1, out.LogRecordCount())
		lr := records(out)[0]
		level, _ := lr.Attributes().Get(auditevent.AttrLevel)
		assert.Equal(t, c.want, level.Str())
		body := lr.Body().Map()
		bodyLevel, _ := body.Get("level")
		assert.Equal(t, c.want, bodyLevel.Str())
		_, hasReq := body.Get("requestObject")
		_, hasResp := body.Get("responseObject")
		if c.want == "Metadata" {
			assert.False(t, hasReq || hasResp, "Metadata keeps no objects")
		}
		if c.want == "Request" {
			assert.False(t, hasResp, "Request keeps no response object")
		}
	})
}

// attributesOf is what evaluate gives the rule evaluator for ev.
func attributesOf(ev *auditevent.Event) authorizer.AttributesRecord {
	ra := new(requestAttributes)
	ra.set(ev)
	return ra.rec
}

func policyProcessor(t *testing.T, policy string) *auditProcessor {
	cfg := noFeatures()
	cfg.Policy = policy
	return newTestProcessor(t, cfg)
}

// TestGCEPolicy evaluates the GCE policy (../shared/seeds) on real and
// varied events: the levels are the ones kube-apiserver would choose, and
// never above the level at the source.
func TestGCEPolicy(t *testing.T) {
	p := policyProcessor(t, filepath.Join("testdata", "policy", "gce.yaml"))
	cases := []policyCase{
		{"RequestReceived is omitted", example("RequestReceived-create-deployment"), "RequestResponse", ""},
		{"create deployment stays RequestResponse", example("ResponseComplete-create-deployment"), "RequestResponse", "RequestResponse"},
		{"create secret is lowered to Metadata", example("ResponseComplete-create-secret"), "Metadata", "Metadata"},
		{"get secret is lowered to Metadata", example("ResponseComplete-get-secret"), "Metadata", "Metadata"},
		{"denied list of secrets is Metadata", example("ResponseComplete-403-alice"), "Metadata", "Metadata"},
		{"tokenreview is Metadata", example("ResponseComplete-tokenreview"), "Metadata", "Metadata"},
		{"watch pods is lowered to Request", example("ResponseComplete-watch-pods"), "Request", "Request"},
		{"list pods by a service account is Request", example("ResponseComplete-serviceaccount-user"), "Request", "Request"},
		{"exec is never raised above Metadata", example("ResponseComplete-pods-exec"), "Request", "Metadata"},
		{"lease update (group not listed) is Metadata", example("ResponseComplete-lease-update"), "Metadata", "Metadata"},
		{"non-resource /openapi/v3 is Metadata", example("ResponseComplete-nonresource"), "Metadata", "Metadata"},
		{"scheduler binding is RequestResponse", example("ResponseComplete-pods-binding"), "RequestResponse", "RequestResponse"},
		{"delete namespace is RequestResponse", example("ResponseComplete-delete-namespace"), "RequestResponse", "RequestResponse"},
		{"namespace get by the apiserver is None", variant(t, "ResponseComplete-delete-namespace", func(ev map[string]any) {
			ev["verb"] = "get"
			ev["user"] = map[string]any{"username": "system:apiserver", "groups": []string{"system:masters"}}
		}), "None", ""},
		{"node get by a kubelet is None", variant(t, "ResponseComplete-lease-update", func(ev map[string]any) {
			ev["verb"] = "get"
			ev["user"] = map[string]any{"username": "system:node:worker-1", "groups": []string{"system:nodes", "system:authenticated"}}
			ev["objectRef"] = map[string]any{"resource": "nodes", "name": "worker-1", "apiVersion": "v1"}
		}), "None", ""},
		{"pod status patch by a kubelet is Request", variant(t, "ResponseComplete-pods-binding", func(ev map[string]any) {
			ev["verb"] = "patch"
			ev["user"] = map[string]any{"username": "system:node:worker-1", "groups": []string{"system:nodes", "system:authenticated"}}
			ev["objectRef"].(map[string]any)["subresource"] = "status"
		}), "Request", "Request"},
		{"events are None", variant(t, "ResponseComplete-create-deployment", func(ev map[string]any) {
			ev["objectRef"] = map[string]any{"resource": "events", "namespace": "audit-demo", "apiVersion": "v1"}
		}), "None", ""},
		{"healthz is None", variant(t, "ResponseComplete-nonresource", func(ev map[string]any) {
			ev["requestURI"] = "/healthz/etcd"
		}), "None", ""},
		{"kube-proxy watching endpoints is None", variant(t, "ResponseComplete-watch-pods", func(ev map[string]any) {
			ev["user"] = map[string]any{"username": "system:kube-proxy", "groups": []string{"system:authenticated"}}
			ev["objectRef"].(map[string]any)["resource"] = "endpoints"
		}), "None", ""},
	}
	for _, c := range cases {
		c.run(t, p)
	}
}

// TestPodDeploymentPolicy evaluates the pods-and-deployments policy from
// ../shared/seeds: only writes to pods and deployments in "default" are kept.
func TestPodDeploymentPolicy(t *testing.T) {
	p := policyProcessor(t, filepath.Join("testdata", "policy", "pods-deployments.yaml"))
	cases := []policyCase{
		{"deployment in another namespace is None", example("ResponseComplete-create-deployment"), "None", ""},
		{"deployment in default is RequestResponse", variant(t, "ResponseComplete-create-deployment", inNamespace("default")), "RequestResponse", "RequestResponse"},
		{"its RequestReceived stage is omitted", variant(t, "RequestReceived-create-deployment", inNamespace("default")), "RequestResponse", ""},
		{"pod create in default is RequestResponse", variant(t, "ResponseComplete-pod-create-by-controller", inNamespace("default")), "RequestResponse", "RequestResponse"},
		{"pod list in default is None (verbs)", variant(t, "ResponseComplete-serviceaccount-user", inNamespace("default")), "None", ""},
		{"pod binding in default is None (subresource)", variant(t, "ResponseComplete-pods-binding", inNamespace("default")), "None", ""},
		{"secret is None", example("ResponseComplete-create-secret"), "None", ""},
		{"non-resource is None", example("ResponseComplete-nonresource"), "None", ""},
	}
	for _, c := range cases {
		c.run(t, p)
	}
}

// TestPolicyAttributes: the request attributes the rule evaluator sees are
// the ones kube-apiserver's audit filter sees: the authenticated user (audit
// runs before impersonation), the path without its query, and resource
// attributes only for resource requests.
func TestPolicyAttributes(t *testing.T) {
	attrs := func(name string) authorizer.AttributesRecord {
		ev := auditevent.FromPartialMap(records(logsFrom(t, false, example(name)))[0].Body().Map(), "")
		return attributesOf(&ev)
	}
	admin := &user.DefaultInfo{Name: "admin", UID: "uid-admin", Groups: []string{"system:masters", "system:authenticated"}}
	assert.Equal(t, authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/api/v1"}, attrs("ResponseComplete-impersonated"))
	assert.Equal(t, authorizer.AttributesRecord{
		User: admin, Verb: "get", Namespace: "audit-demo", APIVersion: "v1", Resource: "pods", Subresource: "exec",
		Name: "web-557577df75-b8tjr", ResourceRequest: true, Path: "/api/v1/namespaces/audit-demo/pods/web-557577df75-b8tjr/exec",
	}, attrs("ResponseComplete-pods-exec"))
	assert.Equal(t, authorizer.AttributesRecord{
		User: &user.DefaultInfo{Name: "system:kube-controller-manager", UID: "uid-kcm", Groups: []string{"system:authenticated"}},
		Verb: "update", Namespace: "kube-system", APIGroup: "coordination.k8s.io", APIVersion: "v1", Resource: "leases",
		Name: "kube-controller-manager", ResourceRequest: true, Path: "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager",
	}, attrs("ResponseComplete-lease-update"))
	// A 401: no user at all, so no users or groups rule matches.
	assert.Equal(t, &user.DefaultInfo{}, attrs("ResponseStarted-401-badtoken").User)
}

func TestPolicyGolden(t *testing.T) {
	var inputs []string
	for _, name := range []string{
		"RequestReceived-create-deployment", "ResponseComplete-create-deployment", "ResponseComplete-create-secret",
		"ResponseComplete-watch-pods", "ResponseComplete-pods-exec", "ResponseComplete-nonresource",
	} {
		inputs = append(inputs, example(name))
	}
	p := policyProcessor(t, filepath.Join("testdata", "policy", "gce.yaml"))
	out := process(t, p, logsFrom(t, false, inputs...))
	compareGolden(t, filepath.Join("testdata", "policy", "gce-expected.yaml"), out)
}

func TestPolicyOmitManagedFields(t *testing.T) {
	p := policyProcessor(t, `apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
- level: RequestResponse
`)
	out := process(t, p, logsFrom(t, false, example("ResponseComplete-create-secret"), example("ResponseComplete-patch-big-annotation")))
	recs := records(out)
	require.Len(t, recs, 2)
	managed := func(lr pcommon.Value, key string) bool {
		obj, ok := lr.Map().Get(key)
		require.True(t, ok)
		meta, ok := obj.Map().Get("metadata")
		if !ok {
			return false
		}
		_, ok = meta.Map().Get("managedFields")
		return ok
	}
	assert.False(t, managed(recs[0].Body(), "responseObject"))
	assert.False(t, managed(recs[1].Body(), "responseObject"))
	// A patch's request body is logged as sent, as kube-apiserver does
	// (LogRequestPatch keeps the raw patch), managed fields included.
	patch := variant(t, "ResponseComplete-patch-big-annotation", func(ev map[string]any) {
		ev["requestObject"].(map[string]any)["metadata"].(map[string]any)["managedFields"] = []any{map[string]any{"manager": "m"}}
	})
	out = process(t, p, logsFrom(t, false, patch))
	reqObj, _ := records(out)[0].Body().Map().Get("requestObject")
	meta, _ := reqObj.Map().Get("metadata")
	_, kept := meta.Map().Get("managedFields")
	assert.True(t, kept)
	assert.False(t, managed(records(out)[0].Body(), "responseObject"))
}

func TestPolicyRawBody(t *testing.T) {
	p := policyProcessor(t, filepath.Join("testdata", "policy", "gce.yaml"))
	out := process(t, p, logsFrom(t, true, example("ResponseComplete-create-secret"), example("ResponseComplete-tokenreview")))
	recs := records(out)
	require.Len(t, recs, 2)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(recs[0].Body().Str()), &ev))
	assert.Equal(t, "Metadata", ev["level"])
	assert.NotContains(t, ev, "requestObject")
	assert.NotContains(t, ev, "responseObject")
	// An unchanged raw body keeps its bytes.
	orig, err := os.ReadFile(example("ResponseComplete-tokenreview"))
	require.NoError(t, err)
	assert.Equal(t, string(orig), recs[1].Body().Str())
}
