# Ballast. Every target does its own setup: on a fresh Debian 12 machine `make run` and `make test` just work.
SHELL := /bin/bash
.DEFAULT_GOAL := build
VMS ?= 4
# Lab hosts: 1 (qemu:///system) or 2 (plus host2, a second libvirt host in a network namespace: infra/lab/host2-up.sh)
HOSTS ?= 1
# policy-engine replicas for `make run` (docs/replicas.md)
ENGINES ?= 1
export UV_THREADPOOL_SIZE ?= 16

.PHONY: deps node_modules proto native build run test unit e2e bench soak lab-up lab-down lint clean

deps:
	@bash infra/setup/deps.sh

node_modules: deps
	@bash infra/setup/node-modules.sh

proto: node_modules
	@npx --no-install buf lint
	@npx --no-install buf generate

native: node_modules
	@bash infra/setup/native.sh

build: proto native
	@npx --no-install tsc -b

run: build
	@HOSTS=$(HOSTS) ENGINES=$(ENGINES) bash infra/run/run-local.sh

lab-up: deps
	@VMS=$(VMS) HOSTS=$(HOSTS) bash infra/lab/lab-hosts.sh up

lab-down:
	@bash infra/lab/lab-hosts.sh down

test: build
	@VMS=$(VMS) bash infra/test/run-tests.sh all

unit: build
	@bash infra/test/run-tests.sh unit

e2e: build
	@VMS=$(VMS) bash infra/test/run-tests.sh e2e

bench: build
	@VMS=$(VMS) bash infra/bench/run-bench.sh $(ARGS)

soak: build
	@VMS=$(VMS) bash infra/soak/soak.sh

lint: build
	@npx --no-install buf lint
	@bash infra/setup/buf-breaking.sh
	@npx --no-install eslint .

clean:
	rm -rf packages/*/dist services/*/dist packages/proto/src/gen packages/libvirt/build
