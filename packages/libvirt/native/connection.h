// The JS Connection: an ObjectWrap around one virConnectPtr.
//
// The wrapper owns one libvirt reference (from virConnectOpen); every call
// takes its own (virConnectRef) for as long as its worker runs. close() drops
// the owner's reference off the JS thread; calls after close reject with
// VIR_ERR_INVALID_CONN. Method bodies live in host-calls.cc, domain-*.cc,
// stats.cc and migrate.cc; this file and connection.cc hold the plumbing.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "domain-cache.h"
#include "domain-handle.h"
#include "events.h"
#include "worker.h"

namespace ballast {

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function Define(Napi::Env env);
  // JS thread: wraps an opened connection (takes over its reference).
  static Napi::Object Wrap(Napi::Env env, virConnectPtr conn, bool keepalive);
  // open(uri, readOnly) -> Promise<Connection>
  static Napi::Value Open(const Napi::CallbackInfo& info);

  explicit Connection(const Napi::CallbackInfo& info);
  ~Connection() override;

 private:
  // Plumbing (connection.cc)
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value EnableEvents(const Napi::CallbackInfo& info);
  Napi::Value DisableEvents(const Napi::CallbackInfo& info);
  Napi::Value GetKeepaliveSupported(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value GetDomainCacheSize(const Napi::CallbackInfo& info);

  // Host (host-calls.cc)
  Napi::Value GetUri(const Napi::CallbackInfo& info);
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetNodeInfo(const Napi::CallbackInfo& info);
  Napi::Value GetNodeCpuStats(const Napi::CallbackInfo& info);
  Napi::Value GetNodeMemoryStats(const Napi::CallbackInfo& info);
  Napi::Value GetFreeMemory(const Napi::CallbackInfo& info);
  Napi::Value GetCellsFreeMemory(const Napi::CallbackInfo& info);
  Napi::Value GetNodeMemoryParameters(const Napi::CallbackInfo& info);
  Napi::Value SetNodeMemoryParameters(const Napi::CallbackInfo& info);

  // Domains (domain-calls.cc)
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value ListDomainRefs(const Napi::CallbackInfo& info);
  Napi::Value LookupByName(const Napi::CallbackInfo& info);
  Napi::Value LookupByUuid(const Napi::CallbackInfo& info);
  Napi::Value DefineXml(const Napi::CallbackInfo& info);
  Napi::Value CreateXml(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value GetXmlDesc(const Napi::CallbackInfo& info);
  Napi::Value GetDomainInfo(const Napi::CallbackInfo& info);

  // Metadata (domain-metadata.cc)
  Napi::Value SetMetadata(const Napi::CallbackInfo& info);
  Napi::Value GetMetadata(const Napi::CallbackInfo& info);

  // Memory (domain-memory.cc)
  Napi::Value MemoryStats(const Napi::CallbackInfo& info);
  Napi::Value SetMemoryStatsPeriod(const Napi::CallbackInfo& info);
  Napi::Value StartDirtyRateCalc(const Napi::CallbackInfo& info);
  Napi::Value SetMemory(const Napi::CallbackInfo& info);

  // vCPUs (domain-vcpu.cc)
  Napi::Value PinVcpu(const Napi::CallbackInfo& info);
  Napi::Value GetVcpuPinInfo(const Napi::CallbackInfo& info);
  Napi::Value PinEmulator(const Napi::CallbackInfo& info);
  Napi::Value GetEmulatorPinInfo(const Napi::CallbackInfo& info);
  Napi::Value GetVcpus(const Napi::CallbackInfo& info);

  // Scheduler and NUMA tuning (domain-tune.cc)
  Napi::Value GetSchedulerParameters(const Napi::CallbackInfo& info);
  Napi::Value SetSchedulerParameters(const Napi::CallbackInfo& info);
  Napi::Value GetNumaParameters(const Napi::CallbackInfo& info);
  Napi::Value SetNumaParameters(const Napi::CallbackInfo& info);

  // Bulk stats (stats.cc)
  Napi::Value GetAllDomainStats(const Napi::CallbackInfo& info);
  Napi::Value GetDomainStats(const Napi::CallbackInfo& info);

  // One domain's per-cycle read (domain-sample.cc)
  Napi::Value SampleDomain(const Napi::CallbackInfo& info);

  // Migration and jobs (migrate.cc)
  Napi::Value Migrate(const Napi::CallbackInfo& info);
  Napi::Value GetJobInfo(const Napi::CallbackInfo& info);
  Napi::Value GetJobStats(const Napi::CallbackInfo& info);
  Napi::Value AbortJob(const Napi::CallbackInfo& info);

  // A new reference for one in-flight call, or null once closed.
  virConnectPtr AcquireRef();

  template <typename R>
  Napi::Value Run(Napi::Env env, const char* name, typename Call<R>::Exec exec,
                  typename Call<R>::Done done) {
    virConnectPtr ref = AcquireRef();
    if (ref == nullptr) {
      return RejectedPromise(env,
                             LvError{VIR_ERR_INVALID_CONN, VIR_FROM_NONE, "connection is closed"});
    }
    return Call<R>::Start(env, name, ref, std::move(exec), std::move(done));
  }

  // Runs fn(dom, out) inside Execute on the domain's cached handle (looked up
  // by UUID on a miss; see WithDomain for the NO_DOMAIN retry). fn must not
  // return the handle's local data (name, id): it may be stale.
  template <typename R, typename Fn>
  Napi::Value RunOnDomain(Napi::Env env, const char* name, std::string uuid, Fn fn,
                          typename Call<R>::Done done) {
    return Run<R>(
        env, name,
        [uuid = std::move(uuid), fn = std::move(fn), cache = domains_](virConnectPtr conn,
                                                                       R& out) mutable {
          WithDomain(*cache, conn, uuid, fn, out);
        },
        std::move(done));
  }

  virConnectPtr conn_ = nullptr;
  bool keepalive_ = false;
  std::shared_ptr<DomainCache> domains_ = std::make_shared<DomainCache>();
  std::shared_ptr<EventHub> events_ = std::make_shared<EventHub>(domains_);
};

// done() for calls that resolve to undefined.
inline Napi::Value ResolveUndefined(Napi::Env env, Nothing&) { return env.Undefined(); }

}  // namespace ballast
