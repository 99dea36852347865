// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Package auditgen writes realistic kube-apiserver audit logs for
// benchmarks: the mix of a busy cluster's requests (mostly small Metadata
// events from controllers, kubelets and service accounts; some multi-KB
// RequestResponse events; watches; 4xx and 5xx answers), each request as the
// stages kube-apiserver logs for it, encoded exactly as its log backend does
// (encoding/json of the audit.k8s.io/v1 types). The output depends only on
// the seed.
package auditgen // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Options choose what is generated.
type Options struct {
	// Seed makes the output reproducible.
	Seed uint64
	// MetadataOnly logs every request at Metadata level, as a policy that
	// keeps no objects does.
	MetadataOnly bool
}

// Start is the simulated time of the first request: fixed, so that the
// output does not depend on when it is generated.
var Start = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

// Generator yields audit events in the order a log backend writes them.
type Generator struct {
	opts    Options
	r       *rand.Rand
	now     time.Time
	pending eventHeap
	seq     int
	rv      int
}

// New returns a generator for opts.
func New(opts Options) *Generator {
	return &Generator{opts: opts, r: rand.New(rand.NewPCG(opts.Seed, 0x6b38736175646974)), now: Start, rv: 100000}
}

// Next returns the next event. kind and apiVersion are left empty, as in a
// webhook EventList's items; WriteLog sets them on log lines.
func (g *Generator) Next() *auditv1.Event {
	// Requests start at about 2000/s; an event is written when its stage is
	// reached, so the stages of concurrent requests interleave.
	for len(g.pending) == 0 || g.pending[0].StageTimestamp.After(g.now) {
		g.now = g.now.Add(time.Duration(g.r.ExpFloat64() * 500 * float64(time.Microsecond)))
		g.request()
	}
	return heap.Pop(&g.pending).(*auditv1.Event)
}

// WriteLog writes n events as log-backend JSON lines.
func WriteLog(w io.Writer, n int, opts Options) error {
	g := New(opts)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw) // escapes &, < and > as kube-apiserver does
	for range n {
		ev := g.Next()
		ev.TypeMeta = metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"}
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteEventLists writes n events as webhook EventList bodies of up to
// batch items, one body per line.
func WriteEventLists(w io.Writer, n, batch int, opts Options) error {
	g := New(opts)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for n > 0 {
		list := auditv1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "audit.k8s.io/v1"}}
		for ; n > 0 && len(list.Items) < batch; n-- {
			list.Items = append(list.Items, *g.Next())
		}
		if err := enc.Encode(&list); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// req is one API request before it is split into its stages.
type req struct {
	user       authnv1.UserInfo
	agent      string
	verb       string
	uri        string
	ref        *auditv1.ObjectReference
	level      auditv1.Level
	code       int32
	reqObj     []byte
	respObj    []byte
	latency    time.Duration
	decision   string
	reason     string
	longRun    bool // ResponseStarted, then ResponseComplete much later
	onlyStart  bool // a 401: one ResponseStarted event
	statusText string
}

var (
	namespaces       = []string{"default", "kube-system", "monitoring", "payments", "checkout", "ingress-nginx", "cert-manager", "argocd", "team-a", "team-b", "search", "billing"}
	apps             = []string{"api", "web", "worker", "cart", "ledger", "gateway", "indexer", "notifier"}
	controllers      = []string{"replicaset-controller", "deployment-controller", "endpointslice-controller", "job-controller", "namespace-controller", "garbage-collector", "horizontal-pod-autoscaler", "daemon-set-controller"}
	watchedResources = []struct{ group, version, resource string }{
		{"", "v1", "pods"}, {"", "v1", "configmaps"}, {"", "v1", "secrets"}, {"", "v1", "services"}, {"", "v1", "nodes"},
		{"apps", "v1", "deployments"}, {"apps", "v1", "replicasets"}, {"discovery.k8s.io", "v1", "endpointslices"},
		{"rbac.authorization.k8s.io", "v1", "rolebindings"}, {"coordination.k8s.io", "v1", "leases"},
	}
)

const nodes = 40

func (g *Generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *Generator) uid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func (g *Generator) hash(n int) string {
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.r.IntN(len(alnum))]
	}
	return string(b)
}

// latency is log-normal around median, as API latencies are.
func (g *Generator) latency(median time.Duration) time.Duration {
	return time.Duration(float64(median) * math.Exp(g.r.NormFloat64()*0.6))
}

func (g *Generator) nextRV() string { g.rv += 1 + g.r.IntN(5); return fmt.Sprint(g.rv) }

func (g *Generator) node() string {
	return fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", g.r.IntN(nodes)/8, 10+g.r.IntN(nodes))
}

func kubelet(node string) (authnv1.UserInfo, string) {
	return authnv1.UserInfo{Username: "system:node:" + node, Groups: []string{"system:nodes", "system:authenticated"}},
		"kubelet/v1.37.2 (linux/amd64) kubernetes/9c1a3e2"
}

func (g *Generator) controller() (authnv1.UserInfo, string) {
	c := g.pick(controllers)
	return authnv1.UserInfo{
			Username: "system:serviceaccount:kube-system:" + c, UID: g.uidFor(c),
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			Extra:  map[string]authnv1.ExtraValue{"authentication.kubernetes.io/credential-id": {"JTI=" + g.uid()}},
		},
		"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/9c1a3e2/system:serviceaccount:kube-system:" + c
}

func (g *Generator) serviceAccount(ns string) (authnv1.UserInfo, string) {
	app := g.pick(apps)
	return authnv1.UserInfo{
			Username: "system:serviceaccount:" + ns + ":" + app, UID: g.uidFor(ns + app),
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			Extra: map[string]authnv1.ExtraValue{
				"authentication.kubernetes.io/credential-id": {"JTI=" + g.uid()},
				"authentication.kubernetes.io/node-name":     {g.node()},
				"authentication.kubernetes.io/pod-name":      {app + "-" + g.hash(10) + "-" + g.hash(5)},
				"authentication.kubernetes.io/pod-uid":       {g.uid()},
			},
		},
		app + "/v2.3.1 (linux/amd64) kubernetes/client-go"
}

func (g *Generator) person() (authnv1.UserInfo, string) {
	u := g.pick([]string{"alice@example.com", "bob@example.com", "carol@example.com", "deploy-bot"})
	return authnv1.UserInfo{Username: u, UID: g.uidFor(u), Groups: []string{"oidc:engineering", "system:authenticated"}},
		"kubectl/v1.37.2 (linux/amd64) kubernetes/9c1a3e2"
}

// uidFor is a stable UID for a name, like a user's.
func (g *Generator) uidFor(name string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", h>>32, h&0xffff, (h>>20)&0xfff, (h>>8)&0xfff, (h*31)&0xffffffffffff)
}

func path(group, version, ns, resource, name string) string {
	p := "/api/" + version
	if group != "" {
		p = "/apis/" + group + "/" + version
	}
	if ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + resource
	if name != "" {
		p += "/" + name
	}
	return p
}

func rbacAllow(role, subject string) string {
	return fmt.Sprintf("RBAC: allowed by ClusterRoleBinding %q of ClusterRole %q to User %q", role, role, subject)
}

// request makes one request of the cluster's mix and schedules its stages.
func (g *Generator) request() {
	q := req{level: auditv1.LevelMetadata, code: 200, decision: "allow", latency: g.latency(2 * time.Millisecond)}
	ts := g.now.UTC().Format(time.RFC3339)
	switch x := g.r.IntN(1000); {
	case x < 230: // lease renewals: kubelets and leader election
		node := g.node()
		ns, name := "kube-node-lease", node
		q.user, q.agent = kubelet(node)
		if g.r.IntN(4) == 0 {
			ns, name = "kube-system", g.pick([]string{"kube-controller-manager", "kube-scheduler", "cert-manager-controller", "ingress-nginx-leader"})
			q.user = authnv1.UserInfo{Username: "system:kube-controller-manager", Groups: []string{"system:authenticated"}}
			q.agent = "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/9c1a3e2/leader-election"
		}
		q.verb = "update"
		q.uri = path("coordination.k8s.io", "v1", ns, "leases", name) + "?timeout=10s"
		q.ref = &auditv1.ObjectReference{Resource: "leases", Namespace: ns, Name: name, UID: types.UID(g.uidFor(name)), APIGroup: "coordination.k8s.io", APIVersion: "v1", ResourceVersion: g.nextRV()}
		q.reason = rbacAllow("system:node", q.user.Username)
		if g.r.IntN(100) == 0 {
			q.code, q.statusText = 409, "Conflict"
		}
	case x < 420: // gets by controllers and operators, some of absent objects
		ns := g.pick(namespaces)
		res := g.pick([]string{"configmaps", "secrets", "serviceaccounts", "services", "endpoints", "pods"})
		name := g.pick(apps) + "-" + g.hash(5)
		if g.r.IntN(2) == 0 {
			q.user, q.agent = g.controller()
		} else {
			q.user, q.agent = g.serviceAccount(ns)
		}
		q.verb = "get"
		q.uri = path("", "v1", ns, res, name)
		q.ref = &auditv1.ObjectReference{Resource: res, Namespace: ns, Name: name, APIVersion: "v1"}
		q.reason = rbacAllow("system:controller:"+res, q.user.Username)
		if g.r.IntN(12) == 0 {
			q.code, q.statusText = 404, "NotFound"
		}
	case x < 560: // kubelets: their node, its pods' secrets and configmaps, node status
		node := g.node()
		q.user, q.agent = kubelet(node)
		q.reason = ""
		switch g.r.IntN(3) {
		case 0:
			q.verb = "get"
			q.uri = path("", "v1", "", "nodes", node) + "?resourceVersion=0&timeout=10s"
			q.ref = &auditv1.ObjectReference{Resource: "nodes", Name: node, APIVersion: "v1"}
		case 1:
			q.verb = "patch"
			q.uri = path("", "v1", "", "nodes", node) + "/status?timeout=10s"
			q.ref = &auditv1.ObjectReference{Resource: "nodes", Name: node, APIVersion: "v1", Subresource: "status"}
			q.latency = g.latency(6 * time.Millisecond)
		default:
			ns := g.pick(namespaces)
			q.verb = "get"
			name := g.pick(apps) + "-config"
			q.uri = path("", "v1", ns, "configmaps", name)
			q.ref = &auditv1.ObjectReference{Resource: "configmaps", Namespace: ns, Name: name, APIVersion: "v1"}
		}
	case x < 640: // watches of the informers (long-running)
		w := watchedResources[g.r.IntN(len(watchedResources))]
		if g.r.IntN(2) == 0 {
			q.user, q.agent = g.controller()
		} else {
			q.user, q.agent = kubelet(g.node())
		}
		q.verb = "watch"
		secs := 300 + g.r.IntN(300)
		q.uri = path(w.group, w.version, "", w.resource, "") + fmt.Sprintf("?allowWatchBookmarks=true&resourceVersion=%d&timeout=%dm%ds&timeoutSeconds=%d&watch=true", g.rv, secs/60, secs%60, secs)
		q.ref = &auditv1.ObjectReference{Resource: w.resource, APIGroup: w.group, APIVersion: w.version}
		q.longRun = true
		q.latency = time.Duration(secs) * time.Second
	case x < 700: // lists by controllers and operators
		ns := g.pick(namespaces)
		res := g.pick([]string{"pods", "configmaps", "endpointslices", "jobs"})
		q.user, q.agent = g.serviceAccount(ns)
		q.verb = "list"
		q.uri = path("", "v1", ns, res, "") + "?labelSelector=app.kubernetes.io%2Fname%3D" + g.pick(apps) + "&limit=500"
		q.ref = &auditv1.ObjectReference{Resource: res, Namespace: ns, APIVersion: "v1"}
		q.latency = g.latency(15 * time.Millisecond)
	case x < 780: // events written by kubelets and controllers
		ns := g.pick(namespaces)
		q.user, q.agent = g.controller()
		q.verb = "create"
		q.uri = path("events.k8s.io", "v1", ns, "events", "")
		q.ref = &auditv1.ObjectReference{Resource: "events", Namespace: ns, APIGroup: "events.k8s.io", APIVersion: "v1"}
		q.code = 201
	case x < 830: // configmap churn by operators and Helm: Request level with the object
		ns := g.pick(namespaces)
		app := g.pick(apps)
		name := app + "-config"
		q.user, q.agent = g.serviceAccount(ns)
		q.verb = g.pick([]string{"update", "update", "create", "delete"})
		q.uri = path("", "v1", ns, "configmaps", name)
		q.ref = &auditv1.ObjectReference{Resource: "configmaps", Namespace: ns, Name: name, APIVersion: "v1"}
		if q.verb == "create" {
			q.uri = path("", "v1", ns, "configmaps", "")
			q.code = 201
		}
		if q.verb != "delete" {
			q.level = auditv1.LevelRequest
			q.reqObj = fill(configMapObject, "NAME", name, "NS", ns, "UID", g.uid(), "RV", g.nextRV(), "TS", ts, "APP", app, "DATA", configData(g.r, g.configSize()))
		}
		q.latency = g.latency(8 * time.Millisecond)
	case x < 880: // pods created by the replicaset controller: RequestResponse, ~7 KB
		ns, app := g.pick(namespaces), g.pick(apps)
		hash := g.hash(10)
		rs := app + "-" + hash
		q.user, q.agent = g.controller()
		q.verb = "create"
		q.uri = path("", "v1", ns, "pods", "")
		q.ref = &auditv1.ObjectReference{Resource: "pods", Namespace: ns, APIVersion: "v1"}
		q.level, q.code = auditv1.LevelRequestResponse, 201
		kv := []string{"NAME", rs + "-" + g.hash(5), "NS", ns, "UID", g.uid(), "RV", g.nextRV(), "TS", ts, "APP", app, "RS", rs, "HASH", hash, "HASH5", g.hash(5),
			"OWNERUID", g.uidFor(rs), "IMAGE", "registry.example.com/" + app + ":1." + fmt.Sprint(g.r.IntN(40))}
		q.reqObj, q.respObj = fill(podRequest, kv...), fill(podResponse, kv...)
		q.latency = g.latency(12 * time.Millisecond)
	case x < 920: // pod status patches by kubelets: RequestResponse
		ns, app := g.pick(namespaces), g.pick(apps)
		hash := g.hash(10)
		rs := app + "-" + hash
		name := rs + "-" + g.hash(5)
		node := g.node()
		q.user, q.agent = kubelet(node)
		q.verb = "patch"
		q.uri = path("", "v1", ns, "pods", name) + "/status"
		q.ref = &auditv1.ObjectReference{Resource: "pods", Namespace: ns, Name: name, APIVersion: "v1", Subresource: "status"}
		q.level = auditv1.LevelRequestResponse
		kv := []string{"NAME", name, "NS", ns, "UID", g.uid(), "RV", g.nextRV(), "TS", ts, "APP", app, "RS", rs, "HASH", hash, "HASH5", g.hash(5),
			"OWNERUID", g.uidFor(rs), "IMAGE", "registry.example.com/" + app + ":1." + fmt.Sprint(g.r.IntN(40)), "IP", fmt.Sprintf("%d.%d", g.r.IntN(256), g.r.IntN(256))}
		q.reqObj, q.respObj = fill(podStatusPatch, kv...), fill(podResponse, kv...)
		q.latency = g.latency(10 * time.Millisecond)
	case x < 940: // deployments rolled out by people and CD: RequestResponse, ~6 KB
		ns, app := g.pick(namespaces), g.pick(apps)
		q.user, q.agent = g.person()
		q.verb = g.pick([]string{"patch", "patch", "update", "get"})
		q.uri = path("apps", "v1", ns, "deployments", app)
		q.ref = &auditv1.ObjectReference{Resource: "deployments", Namespace: ns, Name: app, APIGroup: "apps", APIVersion: "v1"}
		q.level = auditv1.LevelRequestResponse
		kv := []string{"NAME", app, "NS", ns, "UID", g.uidFor(ns + app), "RV", g.nextRV(), "TS", ts, "APP", app, "RS", app + "-" + g.hash(10),
			"GEN", fmt.Sprint(1 + g.r.IntN(90)), "IMAGE", "registry.example.com/" + app + ":1." + fmt.Sprint(g.r.IntN(40))}
		switch q.verb {
		case "patch":
			q.reqObj = fill(deploymentPatch, kv...)
			q.uri += "?fieldManager=kubectl-set"
		case "update":
			q.reqObj = fill(deploymentRequest, kv...)
		}
		q.respObj = fill(deploymentResponse, kv...)
		q.latency = g.latency(15 * time.Millisecond)
	case x < 960: // discovery and other non-resource URLs
		q.user, q.agent = g.serviceAccount(g.pick(namespaces))
		q.verb = "get"
		q.uri = g.pick([]string{"/api", "/apis", "/openapi/v3", "/version", "/apis/apps/v1"})
		q.reason = `RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"`
	case x < 975: // forbidden requests
		ns := g.pick(namespaces)
		q.user, q.agent = g.person()
		q.verb = "list"
		q.uri = path("", "v1", ns, "secrets", "") + "?limit=500"
		q.ref = &auditv1.ObjectReference{Resource: "secrets", Namespace: ns, APIVersion: "v1"}
		q.code, q.statusText, q.decision, q.reason = 403, "Forbidden", "forbid", ""
	case x < 980: // bad or expired tokens: one ResponseStarted, no user
		q.user, q.agent = authnv1.UserInfo{}, "python-requests/2.32.3"
		q.verb = "list"
		q.uri = path("", "v1", g.pick(namespaces), "pods", "")
		q.code, q.statusText, q.onlyStart = 401, "Unauthorized", true
	case x < 985: // server errors: etcd timeouts, overload
		ns := g.pick(namespaces)
		q.user, q.agent = g.controller()
		q.verb = "update"
		name := g.pick(apps)
		q.uri = path("apps", "v1", ns, "replicasets", name+"-"+g.hash(10)) + "/status"
		q.ref = &auditv1.ObjectReference{Resource: "replicasets", Namespace: ns, Name: name, APIGroup: "apps", APIVersion: "v1", Subresource: "status"}
		q.code = g.pick32(500, 503, 504)
		q.statusText = map[int32]string{500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}[q.code]
		q.latency = g.latency(800 * time.Millisecond)
	case x < 990: // throttled and invalid requests
		ns := g.pick(namespaces)
		q.user, q.agent = g.serviceAccount(ns)
		q.verb = "create"
		q.uri = path("", "v1", ns, "configmaps", "")
		q.ref = &auditv1.ObjectReference{Resource: "configmaps", Namespace: ns, APIVersion: "v1"}
		q.code = g.pick32(422, 429)
		q.statusText = map[int32]string{422: "Invalid", 429: "TooManyRequests"}[q.code]
	default: // token requests, token reviews, subject access reviews
		ns := g.pick(namespaces)
		q.user, q.agent = kubelet(g.node())
		q.verb = "create"
		q.uri = path("", "v1", ns, "serviceaccounts", "default") + "/token"
		q.ref = &auditv1.ObjectReference{Resource: "serviceaccounts", Namespace: ns, Name: "default", APIVersion: "v1", Subresource: "token"}
		q.code = 201
	}
	g.schedule(&q)
}

// configSize is a ConfigMap's data size: mostly small, a tenth tens of KB
// (dashboards, rule files), which is where the long lines of a real log are.
func (g *Generator) configSize() int {
	if g.r.IntN(10) == 0 {
		return 10000 + g.r.IntN(50000)
	}
	return 300 + g.r.IntN(3000)
}

func (g *Generator) pick32(v ...int32) int32 { return v[g.r.IntN(len(v))] }

// schedule turns a request into its stages as kube-apiserver logs them:
// RequestReceived, then ResponseComplete; ResponseStarted in between for
// long-running requests; a 401 only as ResponseStarted.
func (g *Generator) schedule(q *req) {
	if g.opts.MetadataOnly {
		q.level, q.reqObj, q.respObj = auditv1.LevelMetadata, nil, nil
	}
	g.seq++
	id := types.UID(g.uid())
	received := metav1.NewMicroTime(g.now)
	base := auditv1.Event{
		Level: q.level, AuditID: id, RequestURI: q.uri, Verb: q.verb, User: q.user,
		SourceIPs: []string{fmt.Sprintf("10.0.%d.%d", g.r.IntN(8), 10+g.r.IntN(200))}, UserAgent: q.agent,
		ObjectRef: q.ref, RequestReceivedTimestamp: received,
	}
	status := &metav1.Status{Code: q.code}
	if q.code >= 300 {
		status.Status, status.Reason = metav1.StatusFailure, metav1.StatusReason(q.statusText)
		status.Message = fmt.Sprintf("%s: request %s %s failed", q.statusText, q.verb, q.uri)
	}
	annotations := map[string]string{"authorization.k8s.io/decision": q.decision, "authorization.k8s.io/reason": q.reason}
	if q.onlyStart {
		ev := base
		ev.Stage, ev.ResponseStatus = auditv1.StageResponseStarted, status
		ev.StageTimestamp = metav1.NewMicroTime(g.now.Add(g.latency(300 * time.Microsecond)))
		g.push(&ev)
		return
	}
	rr := base
	rr.Stage, rr.StageTimestamp = auditv1.StageRequestReceived, received
	g.push(&rr)
	if q.longRun {
		st := base
		st.Stage, st.ResponseStatus, st.Annotations = auditv1.StageResponseStarted, status, annotations
		st.StageTimestamp = metav1.NewMicroTime(g.now.Add(g.latency(time.Millisecond)))
		g.push(&st)
	}
	rc := base
	rc.Stage, rc.ResponseStatus, rc.Annotations = auditv1.StageResponseComplete, status, annotations
	rc.StageTimestamp = metav1.NewMicroTime(g.now.Add(q.latency))
	if q.level != auditv1.LevelMetadata && q.reqObj != nil && q.code < 400 {
		rc.RequestObject = &runtime.Unknown{Raw: q.reqObj}
	}
	if q.level == auditv1.LevelRequestResponse && q.code < 400 && q.respObj != nil {
		rc.ResponseObject = &runtime.Unknown{Raw: q.respObj}
	}
	g.push(&rc)
}

func (g *Generator) push(ev *auditv1.Event) { heap.Push(&g.pending, ev) }

// eventHeap orders pending events by stage time.
type eventHeap []*auditv1.Event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	return h[i].StageTimestamp.Time.Before(h[j].StageTimestamp.Time)
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*auditv1.Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return ev
}
