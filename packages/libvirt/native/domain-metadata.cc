// Domain metadata: the <title>, the <description> and namespaced elements in
// <metadata> (virDomainSetMetadata / virDomainGetMetadata). For an element,
// `key` is the namespace prefix libvirt writes and `uri` its namespace; the
// element itself is given without a namespace.
#include <cstdlib>
#include <string>

#include "args.h"
#include "connection.h"

namespace ballast {

namespace {

// An optional string copied for Execute: `present` false stands for NULL.
struct OptionalText {
  std::string text;
  bool present = false;
  const char* get() const { return present ? text.c_str() : nullptr; }
};

OptionalText ArgOptionalText(const Napi::CallbackInfo& info, size_t index, const char* name) {
  OptionalText out;
  out.text = ArgOptionalString(info, index, name, &out.present);
  return out;
}

}  // namespace

// setMetadata(uuid, type, metadata|null, key|null, uri|null, flags): null metadata removes it.
Napi::Value Connection::SetMetadata(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  int type = static_cast<int>(ArgUint(info, 1, "type", VIR_DOMAIN_METADATA_ELEMENT));
  OptionalText metadata = ArgOptionalText(info, 2, "metadata");
  OptionalText key = ArgOptionalText(info, 3, "key");
  OptionalText uri = ArgOptionalText(info, 4, "uri");
  uint32_t flags = ArgFlags(info, 5, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:setMetadata", uuid,
      [type, metadata, key, uri, flags](virDomainPtr dom, Nothing&) {
        Check(virDomainSetMetadata(dom, type, metadata.get(), key.get(), uri.get(), flags),
              "virDomainSetMetadata");
      },
      ResolveUndefined);
}

// getMetadata(uuid, type, uri|null, flags) -> string; none there: VIR_ERR_NO_DOMAIN_METADATA.
Napi::Value Connection::GetMetadata(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  int type = static_cast<int>(ArgUint(info, 1, "type", VIR_DOMAIN_METADATA_ELEMENT));
  OptionalText uri = ArgOptionalText(info, 2, "uri");
  uint32_t flags = ArgFlags(info, 3, "flags", VIR_DOMAIN_AFFECT_CURRENT);
  return RunOnDomain<std::string>(
      info.Env(), "ballast:libvirt:getMetadata", uuid,
      [type, uri, flags](virDomainPtr dom, std::string& out) {
        char* text = CheckPtr(virDomainGetMetadata(dom, type, uri.get(), flags), "virDomainGetMetadata");
        out = text;
        free(text);
      },
      [](Napi::Env env, std::string& out) -> Napi::Value { return Napi::String::New(env, out); });
}

}  // namespace ballast
