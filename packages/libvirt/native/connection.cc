#include "connection.h"

#include "args.h"

namespace ballast {

namespace {

struct AddonData {
  Napi::FunctionReference connectionCtor;
};

struct OpenResult {
  virConnectPtr conn = nullptr;
  bool keepalive = false;
};

}  // namespace

Napi::Function Connection::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(
      env, "Connection",
      {
          InstanceMethod<&Connection::Close>("close"),
          InstanceMethod<&Connection::IsAlive>("isAlive"),
          InstanceMethod<&Connection::EnableEvents>("enableEvents"),
          InstanceMethod<&Connection::DisableEvents>("disableEvents"),
          InstanceAccessor<&Connection::GetKeepaliveSupported>("keepaliveSupported"),
          InstanceAccessor<&Connection::GetClosed>("closed"),
          InstanceAccessor<&Connection::GetDomainCacheSize>("domainCacheSize"),
          InstanceMethod<&Connection::GetUri>("getUri"),
          InstanceMethod<&Connection::GetHostname>("getHostname"),
          InstanceMethod<&Connection::GetCapabilities>("getCapabilities"),
          InstanceMethod<&Connection::GetLibVersion>("getLibVersion"),
          InstanceMethod<&Connection::GetNodeInfo>("getNodeInfo"),
          InstanceMethod<&Connection::GetNodeCpuStats>("getNodeCpuStats"),
          InstanceMethod<&Connection::GetNodeMemoryStats>("getNodeMemoryStats"),
          InstanceMethod<&Connection::GetFreeMemory>("getFreeMemory"),
          InstanceMethod<&Connection::GetCellsFreeMemory>("getCellsFreeMemory"),
          InstanceMethod<&Connection::GetNodeMemoryParameters>("getNodeMemoryParameters"),
          InstanceMethod<&Connection::SetNodeMemoryParameters>("setNodeMemoryParameters"),
          InstanceMethod<&Connection::ListAllDomains>("listAllDomains"),
          InstanceMethod<&Connection::ListDomainRefs>("listDomainRefs"),
          InstanceMethod<&Connection::LookupByName>("lookupByName"),
          InstanceMethod<&Connection::LookupByUuid>("lookupByUuid"),
          InstanceMethod<&Connection::DefineXml>("defineXML"),
          InstanceMethod<&Connection::CreateXml>("createXML"),
          InstanceMethod<&Connection::Create>("create"),
          InstanceMethod<&Connection::Destroy>("destroy"),
          InstanceMethod<&Connection::Shutdown>("shutdown"),
          InstanceMethod<&Connection::Suspend>("suspend"),
          InstanceMethod<&Connection::Resume>("resume"),
          InstanceMethod<&Connection::Undefine>("undefine"),
          InstanceMethod<&Connection::GetXmlDesc>("getXMLDesc"),
          InstanceMethod<&Connection::GetDomainInfo>("getDomainInfo"),
          InstanceMethod<&Connection::SetMetadata>("setMetadata"),
          InstanceMethod<&Connection::GetMetadata>("getMetadata"),
          InstanceMethod<&Connection::MemoryStats>("memoryStats"),
          InstanceMethod<&Connection::SetMemoryStatsPeriod>("setMemoryStatsPeriod"),
          InstanceMethod<&Connection::StartDirtyRateCalc>("startDirtyRateCalc"),
          InstanceMethod<&Connection::SetMemory>("setMemory"),
          InstanceMethod<&Connection::PinVcpu>("pinVcpu"),
          InstanceMethod<&Connection::GetVcpuPinInfo>("getVcpuPinInfo"),
          InstanceMethod<&Connection::PinEmulator>("pinEmulator"),
          InstanceMethod<&Connection::GetEmulatorPinInfo>("getEmulatorPinInfo"),
          InstanceMethod<&Connection::GetVcpus>("getVcpus"),
          InstanceMethod<&Connection::GetSchedulerParameters>("getSchedulerParameters"),
          InstanceMethod<&Connection::SetSchedulerParameters>("setSchedulerParameters"),
          InstanceMethod<&Connection::GetNumaParameters>("getNumaParameters"),
          InstanceMethod<&Connection::SetNumaParameters>("setNumaParameters"),
          InstanceMethod<&Connection::GetAllDomainStats>("getAllDomainStats"),
          InstanceMethod<&Connection::GetDomainStats>("getDomainStats"),
          InstanceMethod<&Connection::SampleDomain>("sampleDomain"),
          InstanceMethod<&Connection::Migrate>("migrate"),
          InstanceMethod<&Connection::GetJobInfo>("getJobInfo"),
          InstanceMethod<&Connection::GetJobStats>("getJobStats"),
          InstanceMethod<&Connection::AbortJob>("abortJob"),
      });
  auto* data = new AddonData();
  data->connectionCtor = Napi::Persistent(ctor);
  env.SetInstanceData<AddonData>(data);
  return ctor;
}

Napi::Object Connection::Wrap(Napi::Env env, virConnectPtr conn, bool keepalive) {
  AddonData* data = env.GetInstanceData<AddonData>();
  return data->connectionCtor.New(
      {Napi::External<virConnect>::New(env, conn), Napi::Boolean::New(env, keepalive)});
}

Connection::Connection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connection>(info) {
  if (!info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Connection cannot be constructed; use open()");
  }
  conn_ = info[0].As<Napi::External<virConnect>>().Data();
  keepalive_ = info[1].ToBoolean().Value();
}

Connection::~Connection() {
  // Collected without close(): finish the job synchronously. (With listeners the
  // TSFN keeps this object reachable, so this only runs at environment teardown.)
  if (conn_ != nullptr) {
    events_->Deregister(conn_);
    domains_->Shutdown();
    virConnectClose(conn_);
    conn_ = nullptr;
  }
}

virConnectPtr Connection::AcquireRef() {
  if (conn_ == nullptr) return nullptr;
  virConnectRef(conn_);
  return conn_;
}

Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  std::string uri = ArgNonEmptyString(info, 0, "uri");
  bool readOnly = ArgBool(info, 1, "readOnly", false);
  return Call<OpenResult>::Start(
      info.Env(), "ballast:libvirt:open", nullptr,
      [uri, readOnly](virConnectPtr, OpenResult& out) {
        out.conn = CheckPtr(readOnly ? virConnectOpenReadOnly(uri.c_str())
                                     : virConnectOpen(uri.c_str()),
                            "virConnectOpen");
        // 0: keepalive on; 1: the remote side cannot do it; -1: the driver
        // (test, or a local one) does not support it. Neither is an error here.
        out.keepalive = virConnectSetKeepAlive(out.conn, 5, 3) == 0;
        virResetLastError();
      },
      [](Napi::Env env, OpenResult& out) -> Napi::Value {
        virConnectPtr conn = out.conn;
        out.conn = nullptr;
        return Wrap(env, conn, out.keepalive);
      });
}

Napi::Value Connection::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (conn_ == nullptr) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  virConnectPtr owned = conn_;  // the owner's reference moves into the worker
  conn_ = nullptr;
  events_->Shutdown();
  std::shared_ptr<EventHub> events = events_;
  std::shared_ptr<DomainCache> domains = domains_;
  return Call<Nothing>::Start(
      env, "ballast:libvirt:close", owned,
      [events, domains](virConnectPtr conn, Nothing&) {
        events->Deregister(conn);
        domains->Shutdown();  // the cached handles' references on the connection
      },
      ResolveUndefined);
}

Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  return Run<bool>(
      info.Env(), "ballast:libvirt:isAlive",
      [](virConnectPtr conn, bool& out) { out = Check(virConnectIsAlive(conn), "virConnectIsAlive") == 1; },
      [](Napi::Env env, bool& out) -> Napi::Value { return Napi::Boolean::New(env, out); });
}

Napi::Value Connection::EnableEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = ArgFunction(info, 0, "callback");
  if (conn_ == nullptr) {
    return RejectedPromise(env,
                           LvError{VIR_ERR_INVALID_CONN, VIR_FROM_NONE, "connection is closed"});
  }
  events_->Listen(env, callback);
  std::shared_ptr<EventHub> events = events_;
  return Run<EventSupport>(
      env, "ballast:libvirt:enableEvents",
      [events](virConnectPtr conn, EventSupport& out) { out = events->Register(conn); },
      [](Napi::Env env, EventSupport& out) -> Napi::Value { return EventSupportToJs(env, out); });
}

Napi::Value Connection::DisableEvents(const Napi::CallbackInfo& info) {
  events_->Unref(info.Env());
  return info.Env().Undefined();
}

Napi::Value Connection::GetKeepaliveSupported(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), keepalive_);
}

Napi::Value Connection::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), conn_ == nullptr);
}

Napi::Value Connection::GetDomainCacheSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(domains_->Size()));
}

}  // namespace ballast
