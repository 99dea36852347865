// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package k8sauditreceiver receives Kubernetes API-server audit events from
// the files kube-apiserver's log backend writes and from its webhook backend,
// and turns each event into one OpenTelemetry log record.
package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"
