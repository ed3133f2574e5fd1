#include "events.h"

#include <chrono>
#include <thread>

#include "errors.h"

namespace ballast {

bool StartEventLoop() {
  static std::once_flag once;
  static bool registered = false;
  std::call_once(once, [] {
    registered = virEventRegisterDefaultImpl() == 0;
    if (!registered) return;
    // Detached and never joined: it must not keep Node alive, and a joinable
    // std::thread destroyed at exit would call std::terminate.
    std::thread([] {
      for (;;) {
        if (virEventRunDefaultImpl() < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    }).detach();
  });
  return registered;
}

namespace {

using HubRef = std::shared_ptr<EventHub>;

void FreeHubRef(void* opaque) { delete static_cast<HubRef*>(opaque); }

EventHub& HubOf(void* opaque) { return **static_cast<HubRef*>(opaque); }

EventMsg* DomainMsg(EventMsg::Kind kind, virDomainPtr dom) {
  auto* msg = new EventMsg();
  msg->kind = kind;
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virDomainGetUUIDString(dom, uuid) == 0) msg->uuid = uuid;
  const char* name = virDomainGetName(dom);
  if (name != nullptr) msg->name = name;
  return msg;
}

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  EventMsg* msg = DomainMsg(EventMsg::Lifecycle, dom);
  msg->event = event;
  msg->detail = detail;
  HubOf(opaque).ForgetDomainOn(*msg);
  HubOf(opaque).Post(msg);
  return 0;
}

void OnTunable(virConnectPtr, virDomainPtr dom, virTypedParameterPtr params, int nparams,
               void* opaque) {
  EventMsg* msg = DomainMsg(EventMsg::Tunable, dom);
  msg->params = CopyParams(params, nparams);
  HubOf(opaque).Post(msg);
}

void OnBalloonChange(virConnectPtr, virDomainPtr dom, unsigned long long actualKiB,
                     void* opaque) {
  EventMsg* msg = DomainMsg(EventMsg::BalloonChange, dom);
  msg->actualKiB = actualKiB;
  HubOf(opaque).Post(msg);
}

void OnMetadataChange(virConnectPtr, virDomainPtr dom, int type, const char* nsuri,
                      void* opaque) {
  EventMsg* msg = DomainMsg(EventMsg::MetadataChange, dom);
  msg->metadataType = type;
  if (nsuri != nullptr) msg->nsUri = nsuri;
  HubOf(opaque).Post(msg);
}

void OnClose(virConnectPtr, int reason, void* opaque) {
  auto* msg = new EventMsg();
  msg->kind = EventMsg::ConnectionLost;
  msg->reason = reason;
  HubOf(opaque).Post(msg);
}

// Registers one domain event for all domains; returns the callback id or -1.
int RegisterDomainEvent(virConnectPtr conn, int eventId, virConnectDomainEventGenericCallback cb,
                        const HubRef& hub) {
  auto* opaque = new HubRef(hub);
  int id = virConnectDomainEventRegisterAny(conn, nullptr, eventId, cb, opaque, FreeHubRef);
  if (id < 0) delete opaque;  // libvirt does not call freecb when registration fails
  return id;
}

const char* ReasonText(int reason) {
  switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "eof";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive";
    case VIR_CONNECT_CLOSE_REASON_CLIENT: return "client";
    default: return "unknown";
  }
}

}  // namespace

void CallJsWithEvent(Napi::Env env, Napi::Function fn, std::nullptr_t*, EventMsg* raw) {
  std::unique_ptr<EventMsg> msg(raw);
  if (static_cast<napi_env>(env) == nullptr || fn.IsEmpty()) return;  // env shutting down
  Napi::Object ev = Napi::Object::New(env);
  switch (msg->kind) {
    case EventMsg::Lifecycle:
      ev.Set("type", "lifecycle");
      ev.Set("event", msg->event);
      ev.Set("detail", msg->detail);
      break;
    case EventMsg::Tunable:
      ev.Set("type", "tunable");
      ev.Set("params", ParamsToJs(env, msg->params));
      break;
    case EventMsg::BalloonChange:
      ev.Set("type", "balloon-change");
      ev.Set("actualKiB", static_cast<double>(msg->actualKiB));
      break;
    case EventMsg::MetadataChange:
      ev.Set("type", "metadata-change");
      ev.Set("metadataType", msg->metadataType);
      ev.Set("nsUri", msg->nsUri.empty() ? env.Null() : Napi::String::New(env, msg->nsUri));
      break;
    case EventMsg::ConnectionLost:
      ev.Set("type", "connection-lost");
      ev.Set("reason", ReasonText(msg->reason));
      ev.Set("reasonCode", msg->reason);
      break;
  }
  if (msg->kind != EventMsg::ConnectionLost) {
    ev.Set("uuid", msg->uuid);
    ev.Set("name", msg->name);
  }
  fn.Call({ev});  // a throwing listener surfaces as an uncaught exception
}

void EventHub::Listen(Napi::Env env, Napi::Function callback) {
  std::lock_guard<std::mutex> lock(sinkMu_);
  if (active_) {
    tsfn_.Ref(env);
    return;
  }
  tsfn_ = EventTsfn::New(env, callback, "ballast:libvirt:events", 0, 1, nullptr, Finalize,
                         new HubRef(shared_from_this()));
  active_ = true;
}

void EventHub::Unref(Napi::Env env) {
  std::lock_guard<std::mutex> lock(sinkMu_);
  if (active_) tsfn_.Unref(env);
}

void EventHub::Shutdown() {
  EventTsfn toRelease;
  bool release = false;
  {
    std::lock_guard<std::mutex> lock(sinkMu_);
    if (active_) {
      active_ = false;
      toRelease = tsfn_;
      release = true;
    }
  }
  if (release) toRelease.Release();
}

void EventHub::Finalize(Napi::Env, std::shared_ptr<EventHub>* self, std::nullptr_t*) {
  {
    std::lock_guard<std::mutex> lock((*self)->sinkMu_);
    (*self)->active_ = false;
  }
  delete self;
}

void EventHub::Post(EventMsg* msg) {
  std::lock_guard<std::mutex> lock(sinkMu_);
  if (!active_ || tsfn_.NonBlockingCall(msg) != napi_ok) delete msg;
}

void EventHub::ForgetDomainOn(const EventMsg& msg) {
  if (msg.uuid.empty()) return;
  bool gone = msg.event == VIR_DOMAIN_EVENT_UNDEFINED || msg.event == VIR_DOMAIN_EVENT_STOPPED ||
              (msg.event == VIR_DOMAIN_EVENT_DEFINED && msg.detail == VIR_DOMAIN_EVENT_DEFINED_RENAMED);
  if (gone) domains_->Evict(msg.uuid);
}

EventSupport EventHub::Register(virConnectPtr conn) {
  std::lock_guard<std::mutex> lock(regMu_);
  if (deregistered_) ThrowError(VIR_ERR_INVALID_CONN, "connection is closed");
  if (registered_) return support_;
  HubRef self = shared_from_this();

  int id = RegisterDomainEvent(conn, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                               VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle), self);
  if (id < 0) ThrowLast("virConnectDomainEventRegisterAny(lifecycle)");
  callbackIds_.push_back(id);
  support_.lifecycle = true;

  // Optional: a driver without them still delivers lifecycle events.
  id = RegisterDomainEvent(conn, VIR_DOMAIN_EVENT_ID_TUNABLE,
                           VIR_DOMAIN_EVENT_CALLBACK(OnTunable), self);
  if (id >= 0) callbackIds_.push_back(id);
  support_.tunable = id >= 0;
  id = RegisterDomainEvent(conn, VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                           VIR_DOMAIN_EVENT_CALLBACK(OnBalloonChange), self);
  if (id >= 0) callbackIds_.push_back(id);
  support_.balloonChange = id >= 0;
  id = RegisterDomainEvent(conn, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                           VIR_DOMAIN_EVENT_CALLBACK(OnMetadataChange), self);
  if (id >= 0) callbackIds_.push_back(id);
  support_.metadataChange = id >= 0;

  auto* opaque = new HubRef(self);
  if (virConnectRegisterCloseCallback(conn, OnClose, opaque, FreeHubRef) == 0) {
    closeCallbackRegistered_ = true;
  } else {
    delete opaque;
  }
  support_.closeCallback = closeCallbackRegistered_;
  virResetLastError();
  registered_ = true;
  return support_;
}

void EventHub::Deregister(virConnectPtr conn) {
  std::lock_guard<std::mutex> lock(regMu_);
  deregistered_ = true;
  // Each registration holds a reference on the connection: without this the
  // virConnect would never be freed.
  for (int id : callbackIds_) virConnectDomainEventDeregisterAny(conn, id);
  callbackIds_.clear();
  if (closeCallbackRegistered_) virConnectUnregisterCloseCallback(conn, OnClose);
  closeCallbackRegistered_ = false;
  virResetLastError();
}

Napi::Object EventSupportToJs(Napi::Env env, const EventSupport& s) {
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("lifecycle", s.lifecycle);
  obj.Set("tunable", s.tunable);
  obj.Set("balloonChange", s.balloonChange);
  obj.Set("metadataChange", s.metadataChange);
  obj.Set("closeCallback", s.closeCallback);
  return obj;
}

}  // namespace ballast
