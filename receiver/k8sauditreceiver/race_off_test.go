// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:build !race

package k8sauditreceiver

const concurrentClients = 3000

// raceEnabled: the race detector roughly doubles allocations, so bounds on
// them hold only without it.
const raceEnabled = false
