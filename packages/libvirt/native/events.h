// Domain and connection events: libvirt's default event loop on a dedicated
// thread, per-connection callback registration, delivery to JS through a
// Napi::TypedThreadSafeFunction.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "domain-cache.h"
#include "typed-params.h"

namespace ballast {

// Once per process: virEventRegisterDefaultImpl (must precede the first open)
// and a detached std::thread looping on virEventRunDefaultImpl. Returns whether
// registration succeeded.
bool StartEventLoop();

// One event, copied on the event-loop thread.
struct EventMsg {
  enum Kind { Lifecycle, Tunable, BalloonChange, MetadataChange, ConnectionLost };
  Kind kind = Lifecycle;
  std::string uuid;
  std::string name;
  int event = 0;
  int detail = 0;
  unsigned long long actualKiB = 0;
  int metadataType = 0;  // MetadataChange: virDomainMetadataType
  std::string nsUri;     // MetadataChange: the element's namespace (empty for title/description)
  std::vector<Param> params;
  int reason = 0;
};

void CallJsWithEvent(Napi::Env env, Napi::Function fn, std::nullptr_t* ctx, EventMsg* msg);
using EventTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, EventMsg, CallJsWithEvent>;

// What registration achieved on this connection (drivers differ).
struct EventSupport {
  bool lifecycle = false;
  bool tunable = false;
  bool balloonChange = false;
  bool metadataChange = false;
  bool closeCallback = false;
};

// Per-connection event state, shared (std::shared_ptr) by the Connection, every
// libvirt callback registration (as its opaque pointer) and the TSFN finalizer.
class EventHub : public std::enable_shared_from_this<EventHub> {
 public:
  explicit EventHub(std::shared_ptr<DomainCache> domains) : domains_(std::move(domains)) {}

  // JS thread. Creates the TSFN on first use, else re-refs it.
  void Listen(Napi::Env env, Napi::Function callback);
  // JS thread. No listeners: the TSFN no longer keeps the process alive.
  void Unref(Napi::Env env);
  // JS thread. Stops delivery and releases the TSFN (on close).
  void Shutdown();

  // Worker thread. Registers every callback once; later calls return the same result.
  EventSupport Register(virConnectPtr conn);
  // Worker thread. Deregisters everything; no registration happens afterwards.
  void Deregister(virConnectPtr conn);

  // Event-loop thread. Takes ownership of msg.
  void Post(EventMsg* msg);
  // Event-loop thread. Drops the cached handle of a domain that an event says
  // is gone or renamed (UNDEFINED, STOPPED: a transient domain is gone once
  // stopped, and a stopped persistent one costs one lookup later; DEFINED as
  // the new name of a rename).
  void ForgetDomainOn(const EventMsg& msg);

 private:
  static void Finalize(Napi::Env env, std::shared_ptr<EventHub>* self, std::nullptr_t* ctx);

  std::shared_ptr<DomainCache> domains_;

  std::mutex regMu_;  // registration state (worker threads)
  std::vector<int> callbackIds_;
  bool registered_ = false;
  bool closeCallbackRegistered_ = false;
  bool deregistered_ = false;
  EventSupport support_;

  std::mutex sinkMu_;  // delivery state (event thread vs JS thread)
  bool active_ = false;
  EventTsfn tsfn_;
};

Napi::Object EventSupportToJs(Napi::Env env, const EventSupport& support);

}  // namespace ballast
