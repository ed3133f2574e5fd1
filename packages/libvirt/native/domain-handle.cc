#include "domain-handle.h"

#include "errors.h"

namespace ballast {

DomainHandle FindDomain(virConnectPtr conn, const std::string& uuid) {
  return DomainHandle(
      CheckPtr(virDomainLookupByUUIDString(conn, uuid.c_str()), "virDomainLookupByUUIDString"));
}

std::string UuidOf(virDomainPtr dom) {
  char buf[VIR_UUID_STRING_BUFLEN] = {0};
  Check(virDomainGetUUIDString(dom, buf), "virDomainGetUUIDString");
  return buf;
}

DomainSummary Summarize(virDomainPtr dom) {
  DomainSummary out;
  out.uuid = UuidOf(dom);
  const char* name = CheckPtr(virDomainGetName(dom), "virDomainGetName");
  out.name = name;
  unsigned int id = virDomainGetID(dom);
  out.id = id == static_cast<unsigned int>(-1) ? -1 : static_cast<int>(id);
  int state = 0;
  int reason = 0;
  Check(virDomainGetState(dom, &state, &reason, 0), "virDomainGetState");
  out.state = state;
  out.active = out.id != -1;
  out.persistent = Check(virDomainIsPersistent(dom), "virDomainIsPersistent") == 1;
  return out;
}

Napi::Object SummaryToJs(Napi::Env env, const DomainSummary& s) {
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("uuid", s.uuid);
  obj.Set("name", s.name);
  obj.Set("id", s.id);
  obj.Set("state", s.state);
  obj.Set("active", s.active);
  obj.Set("persistent", s.persistent);
  return obj;
}

}  // namespace ballast
