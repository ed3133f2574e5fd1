// Scheduler (cpu_shares, vcpu_quota, vcpu_period, ...) and NUMA tuning
// (numa_mode, numa_nodeset) as typed-parameter objects. Setting looks up each
// field's libvirt type first, so JS passes plain numbers/strings.
#include <cstdlib>
#include <vector>

#include "args.h"
#include "connection.h"
#include "typed-params.h"

namespace ballast {

namespace {

struct SchedResult {
  std::string type;
  std::vector<Param> params;
};

std::vector<Param> ReadSchedulerParams(virDomainPtr dom, unsigned int flags, std::string* type) {
  int count = 0;
  char* name = CheckPtr(virDomainGetSchedulerType(dom, &count), "virDomainGetSchedulerType");
  if (type != nullptr) *type = name;
  free(name);
  return ReadParams(count, [&](virTypedParameterPtr params, int* n) {
    // As virsh does: the flag-less call for CURRENT (the test driver rejects the
    // STRING_OKAY flag that the *Flags variant adds on its own).
    if (flags == VIR_DOMAIN_AFFECT_CURRENT) {
      Check(virDomainGetSchedulerParameters(dom, params, n), "virDomainGetSchedulerParameters");
    } else {
      Check(virDomainGetSchedulerParametersFlags(dom, params, n, flags),
            "virDomainGetSchedulerParametersFlags");
    }
  });
}

std::vector<Param> ReadNumaParams(virDomainPtr dom, unsigned int flags) {
  int count = 0;
  Check(virDomainGetNumaParameters(dom, nullptr, &count, flags), "virDomainGetNumaParameters");
  return ReadParams(count, [&](virTypedParameterPtr params, int* n) {
    Check(virDomainGetNumaParameters(dom, params, n, flags | VIR_TYPED_PARAM_STRING_OKAY),
          "virDomainGetNumaParameters");
  });
}

}  // namespace

Napi::Value Connection::GetSchedulerParameters(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", VIR_DOMAIN_AFFECT_CURRENT);
  return RunOnDomain<SchedResult>(
      info.Env(), "ballast:libvirt:getSchedulerParameters", uuid,
      [flags](virDomainPtr dom, SchedResult& out) {
        out.params = ReadSchedulerParams(dom, flags, &out.type);
      },
      [](Napi::Env env, SchedResult& out) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        obj.Set("type", out.type);
        obj.Set("params", ParamsToJs(env, out.params));
        return obj;
      });
}

Napi::Value Connection::SetSchedulerParameters(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  std::vector<ParamInput> inputs = ReadParamInputs(info, 1, "params");
  uint32_t flags = ArgFlags(info, 2, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:setSchedulerParameters", uuid,
      [inputs, flags](virDomainPtr dom, Nothing&) {
        std::vector<Param> known = ReadSchedulerParams(dom, VIR_DOMAIN_AFFECT_CURRENT, nullptr);
        TypedParams params;
        for (const ParamInput& in : inputs) params.AddTyped(in, known, "scheduler");
        if (flags == VIR_DOMAIN_AFFECT_CURRENT) {
          Check(virDomainSetSchedulerParameters(dom, params.get(), params.count()),
                "virDomainSetSchedulerParameters");
        } else {
          Check(virDomainSetSchedulerParametersFlags(dom, params.get(), params.count(), flags),
                "virDomainSetSchedulerParametersFlags");
        }
      },
      ResolveUndefined);
}

Napi::Value Connection::GetNumaParameters(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", VIR_DOMAIN_AFFECT_CURRENT);
  return RunOnDomain<std::vector<Param>>(
      info.Env(), "ballast:libvirt:getNumaParameters", uuid,
      [flags](virDomainPtr dom, std::vector<Param>& out) { out = ReadNumaParams(dom, flags); },
      ParamsDone);
}

Napi::Value Connection::SetNumaParameters(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  std::vector<ParamInput> inputs = ReadParamInputs(info, 1, "params");
  uint32_t flags = ArgFlags(info, 2, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:setNumaParameters", uuid,
      [inputs, flags](virDomainPtr dom, Nothing&) {
        std::vector<Param> known = ReadNumaParams(dom, VIR_DOMAIN_AFFECT_CURRENT);
        TypedParams params;
        for (const ParamInput& in : inputs) params.AddTyped(in, known, "NUMA");
        Check(virDomainSetNumaParameters(dom, params.get(), params.count(), flags),
              "virDomainSetNumaParameters");
      },
      ResolveUndefined);
}

}  // namespace ballast
