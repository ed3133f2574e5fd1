// Domain lookup by UUID inside Execute, an owning handle, and the summary
// ({uuid, name, id, state, active, persistent}) that list/lookup calls return.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <string>

namespace ballast {

class DomainHandle {
 public:
  explicit DomainHandle(virDomainPtr dom) : dom_(dom) {}
  DomainHandle(const DomainHandle&) = delete;
  DomainHandle& operator=(const DomainHandle&) = delete;
  DomainHandle(DomainHandle&& other) noexcept : dom_(other.dom_) { other.dom_ = nullptr; }
  ~DomainHandle() {
    if (dom_ != nullptr) virDomainFree(dom_);
  }
  virDomainPtr get() const { return dom_; }

 private:
  virDomainPtr dom_;
};

// Looks the domain up by UUID string; throws LvFailure (VIR_ERR_NO_DOMAIN when missing).
DomainHandle FindDomain(virConnectPtr conn, const std::string& uuid);

struct DomainSummary {
  std::string uuid;
  std::string name;
  int id = -1;  // -1 when inactive
  int state = VIR_DOMAIN_NOSTATE;
  bool active = false;
  bool persistent = false;
};

// Local data (uuid, name, id) plus one state query and one persistence query.
DomainSummary Summarize(virDomainPtr dom);

std::string UuidOf(virDomainPtr dom);

Napi::Object SummaryToJs(Napi::Env env, const DomainSummary& summary);

}  // namespace ballast
