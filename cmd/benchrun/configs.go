// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"
)

// The collector configurations measured. @IN@ is the directory the log file
// is linked into once the collector has started, @PORT@ its internal
// metrics port and @WEBHOOK@ the webhook's address. Each reads the file from
// the beginning and drops the records in a nop exporter, so what is measured
// is reading, decoding and mapping (and in (e) processing).

// telemetry exposes the receivers' accepted counts, by which the driver
// sees that every event went through the pipeline.
const telemetry = `
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: @PORT@
`

// configOurs is (a): the k8s_audit receiver's file source.
const configOurs = `
receivers:
  k8s_audit:
    file:
      include: [@IN@/*.log]
      start_at: beginning
exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [k8s_audit]
      exporters: [nop]
` + telemetry

// configContrib is (b): what a user would otherwise run. filelog with
// json_parser puts the event in the body and parses stageTimestamp; the
// transform processor sets the attributes the k8s_audit receiver sets
// (receiver/k8sauditreceiver/README.md, "Log record mapping"), the
// severity and the trace context (the span ID is a different hash of the
// auditID than ours; OTTL has no FNV-to-8-bytes converter).
const configContrib = `
receivers:
  file_log:
    include: [@IN@/*.log]
    start_at: beginning
    max_log_size: 16MiB
    operators:
      - type: json_parser
        parse_to: body
        timestamp:
          parse_from: body.stageTimestamp
          layout_type: gotime
          layout: '2006-01-02T15:04:05.999999Z07:00'
processors:
  transform:
    error_mode: ignore
    log_statements:
      - context: log
        statements:
          - set(log.attributes["k8s.audit.id"], log.body["auditID"])
          - set(log.attributes["k8s.audit.stage"], log.body["stage"])
          - set(log.attributes["k8s.audit.level"], log.body["level"])
          - set(log.attributes["k8s.audit.verb"], log.body["verb"])
          - set(log.attributes["http.request.method"], "GET") where log.body["verb"] == "get" or log.body["verb"] == "list" or log.body["verb"] == "watch"
          - set(log.attributes["http.request.method"], "POST") where log.body["verb"] == "create"
          - set(log.attributes["http.request.method"], "PUT") where log.body["verb"] == "update"
          - set(log.attributes["http.request.method"], "PATCH") where log.body["verb"] == "patch"
          - set(log.attributes["http.request.method"], "DELETE") where log.body["verb"] == "delete" or log.body["verb"] == "deletecollection"
          - set(log.attributes["url.path"], Split(log.body["requestURI"], "?")[0])
          - set(log.attributes["url.query"], Split(log.body["requestURI"], "?")[1]) where IsMatch(log.body["requestURI"], "\\?")
          - set(log.attributes["user.name"], log.body["user"]["username"])
          - set(log.attributes["user.id"], log.body["user"]["uid"])
          - set(log.attributes["k8s.audit.user.groups"], log.body["user"]["groups"])
          - set(log.attributes["k8s.audit.impersonated_user.name"], log.body["impersonatedUser"]["username"])
          - set(log.attributes["k8s.audit.impersonated_user.groups"], log.body["impersonatedUser"]["groups"])
          - set(log.attributes["client.address"], log.body["sourceIPs"][0])
          - set(log.attributes["user_agent.original"], log.body["userAgent"])
          - set(log.attributes["http.response.status_code"], Int(log.body["responseStatus"]["code"])) where log.body["responseStatus"]["code"] != nil
          - set(log.attributes["k8s.audit.response.reason"], log.body["responseStatus"]["reason"])
          - set(log.attributes["k8s.namespace.name"], log.body["objectRef"]["namespace"])
          - set(log.attributes["k8s.audit.resource"], log.body["objectRef"]["resource"])
          - set(log.attributes["k8s.audit.subresource"], log.body["objectRef"]["subresource"])
          - set(log.attributes["k8s.audit.object.name"], log.body["objectRef"]["name"])
          - set(log.attributes["k8s.audit.object.uid"], log.body["objectRef"]["uid"])
          - set(log.attributes["k8s.audit.api_group"], log.body["objectRef"]["apiGroup"])
          - set(log.attributes["k8s.audit.api_version"], log.body["objectRef"]["apiVersion"])
          - set(log.attributes["k8s.audit.authorization.decision"], log.body["annotations"]["authorization.k8s.io/decision"])
          - set(log.attributes["k8s.audit.authorization.reason"], log.body["annotations"]["authorization.k8s.io/reason"]) where log.body["annotations"]["authorization.k8s.io/reason"] != ""
          - set(log.attributes["k8s.audit.request_received_time"], log.body["requestReceivedTimestamp"])
          - set(log.severity_number, SEVERITY_NUMBER_INFO)
          - set(log.severity_text, "INFO")
          - set(log.severity_number, SEVERITY_NUMBER_WARN) where log.attributes["http.response.status_code"] != nil and log.attributes["http.response.status_code"] >= 400
          - set(log.severity_text, "WARN") where log.severity_number == SEVERITY_NUMBER_WARN
          - set(log.severity_number, SEVERITY_NUMBER_ERROR) where log.attributes["http.response.status_code"] != nil and log.attributes["http.response.status_code"] >= 500
          - set(log.severity_text, "ERROR") where log.severity_number == SEVERITY_NUMBER_ERROR
          - set(log.cache["trace"], log.body["auditID"])
          - replace_pattern(log.cache["trace"], "-", "")
          - set(log.trace_id.string, log.cache["trace"]) where Len(log.cache["trace"]) == 32
          - set(log.span_id.string, Substring(SHA256(log.body["auditID"]), 0, 16))
exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [file_log]
      processors: [transform]
      exporters: [nop]
` + telemetry

// configFull is (e): receiver, then the k8s_audit processor with its
// defaults (enrichment and redaction), then the k8s_audit_traces connector
// making one span per request.
const configFull = `
receivers:
  k8s_audit:
    file:
      include: [@IN@/*.log]
      start_at: beginning
processors:
  k8s_audit:
connectors:
  k8s_audit_traces:
exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [k8s_audit]
      processors: [k8s_audit]
      exporters: [k8s_audit_traces]
    traces:
      receivers: [k8s_audit_traces]
      exporters: [nop]
` + telemetry

// configWebhook is (f): the webhook source alone, or with the (e) pipeline.
const configWebhook = `
receivers:
  k8s_audit:
    webhook:
      endpoint: @WEBHOOK@
      path: /audit
exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [k8s_audit]
      exporters: [nop]
` + telemetry

const configWebhookFull = `
receivers:
  k8s_audit:
    webhook:
      endpoint: @WEBHOOK@
      path: /audit
processors:
  k8s_audit:
connectors:
  k8s_audit_traces:
exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [k8s_audit]
      processors: [k8s_audit]
      exporters: [k8s_audit_traces]
    traces:
      receivers: [k8s_audit_traces]
      exporters: [nop]
` + telemetry

func render(tmpl, in string, port int, webhook string) string {
	return strings.NewReplacer("@IN@", in, "@PORT@", fmt.Sprint(port), "@WEBHOOK@", webhook).Replace(tmpl)
}

// rawBody is cfg with the k8s_audit receiver's body_format: raw: the body is
// the event's JSON text and the attributes are read from it without
// building a map.
func rawBody(cfg string) string {
	return strings.Replace(cfg, "\n  k8s_audit:\n", "\n  k8s_audit:\n    body_format: raw\n", 1)
}
