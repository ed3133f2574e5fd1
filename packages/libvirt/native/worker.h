// One Napi::AsyncWorker per JS call.
//
// The JS-facing method validates and copies its arguments into the `exec`
// closure (plain C++ values: std::string, numbers, vectors), then queues the
// worker. `exec` runs on a libuv pool thread and may touch only C++ data and
// libvirt; a failed libvirt call throws LvFailure carrying the per-thread
// virError captured right there (see errors.h). `done` runs back on the JS
// thread and turns the C++ result into JS values.
//
// A worker owns one libvirt reference on its connection (virConnectRef taken on
// the JS thread when the call starts, dropped with virConnectClose at the end of
// Execute), so Connection.close() during a call only drops the owner's reference:
// the call finishes on a live virConnect and the last reference really closes it.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <functional>
#include <string>
#include <utility>

#include "errors.h"

namespace ballast {

template <typename R>
class Call final : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void(virConnectPtr conn, R& out)>;
  using Done = std::function<Napi::Value(Napi::Env env, R& out)>;

  // Queues the call. `connRef` is a reference this worker now owns (may be null
  // for calls that need no connection, such as open()).
  static Napi::Promise Start(Napi::Env env, const char* name, virConnectPtr connRef, Exec exec,
                             Done done) {
    auto* worker = new Call(env, name, connRef, std::move(exec), std::move(done));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

  ~Call() override { DropConnection(); }

 protected:
  void Execute() override {
    virResetLastError();
    try {
      exec_(conn_, result_);
    } catch (const LvFailure& failure) {
      failed_ = true;
      error_ = failure.error;
    } catch (const std::exception& ex) {
      failed_ = true;
      error_ = LvError{VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, ex.what()};
    }
    DropConnection();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      deferred_.Reject(ToJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(done_(env, result_));
    } catch (const Napi::Error& err) {
      deferred_.Reject(err.Value());
    }
  }

  void OnError(const Napi::Error& err) override { deferred_.Reject(err.Value()); }

 private:
  Call(Napi::Env env, const char* name, virConnectPtr connRef, Exec exec, Done done)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        conn_(connRef),
        exec_(std::move(exec)),
        done_(std::move(done)) {}

  void DropConnection() {
    if (conn_ != nullptr) {
      virConnectClose(conn_);
      conn_ = nullptr;
    }
  }

  Napi::Promise::Deferred deferred_;
  virConnectPtr conn_;
  Exec exec_;
  Done done_;
  R result_{};
  bool failed_ = false;
  LvError error_;
};

// A promise already rejected with a libvirt-shaped error.
inline Napi::Promise RejectedPromise(Napi::Env env, const LvError& err) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(ToJsError(env, err).Value());
  return deferred.Promise();
}

// Result type for calls that return nothing.
struct Nothing {};

}  // namespace ballast
