// Live migration and job progress. A migration holds its pool thread until it
// finishes: size UV_THREADPOOL_SIZE so other calls keep flowing.
#include <vector>

#include "args.h"
#include "connection.h"
#include "typed-params.h"

namespace ballast {

namespace {

struct MigrateArgs {
  std::string uuid;
  std::string destUri;
  uint32_t flags = 0;
  bool hasMigrateUri = false;
  std::string migrateUri;
  bool hasPersistXml = false;
  std::string persistXml;
  bool hasDestName = false;
  std::string destName;
  bool hasBandwidth = false;
  uint64_t bandwidthMiBs = 0;
};

struct JobStats {
  int type = 0;
  std::vector<Param> params;
};

std::string OptionalString(Napi::Object opts, const char* key, bool* present) {
  Napi::Value value = opts.Get(key);
  *present = !(value.IsUndefined() || value.IsNull());
  if (!*present) return std::string();
  if (!value.IsString()) {
    throw Napi::TypeError::New(opts.Env(), std::string("options.") + key + " must be a string");
  }
  return value.As<Napi::String>().Utf8Value();
}

void RunMigration(virConnectPtr conn, const MigrateArgs& a) {
  TypedParams params;
  if (a.hasMigrateUri) params.AddString(VIR_MIGRATE_PARAM_URI, a.migrateUri);
  if (a.hasPersistXml) params.AddString(VIR_MIGRATE_PARAM_PERSIST_XML, a.persistXml);
  if (a.hasDestName) params.AddString(VIR_MIGRATE_PARAM_DEST_NAME, a.destName);
  if (a.hasBandwidth) params.AddULLong(VIR_MIGRATE_PARAM_BANDWIDTH, a.bandwidthMiBs);
  DomainHandle dom = FindDomain(conn, a.uuid);
  if (a.flags & VIR_MIGRATE_PEER2PEER) {
    // The source libvirtd connects to destUri itself.
    Check(virDomainMigrateToURI3(dom.get(), a.destUri.c_str(), params.get(), params.count(),
                                 a.flags),
          "virDomainMigrateToURI3");
    return;
  }
  // Managed direct migration: this process talks to both daemons.
  virConnectPtr dest = CheckPtr(virConnectOpen(a.destUri.c_str()), "virConnectOpen(dest)");
  virDomainPtr moved = virDomainMigrate3(dom.get(), dest, params.get(), params.count(), a.flags);
  LvError failure;
  if (moved == nullptr) failure = CaptureLastError("virDomainMigrate3");
  if (moved != nullptr) virDomainFree(moved);
  virConnectClose(dest);
  if (moved == nullptr) throw LvFailure(failure);
}

}  // namespace

Napi::Value Connection::Migrate(const Napi::CallbackInfo& info) {
  MigrateArgs a;
  a.uuid = ArgNonEmptyString(info, 0, "uuid");
  a.destUri = ArgNonEmptyString(info, 1, "destUri");
  a.flags = ArgFlags(info, 2, "flags", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
  if (!info[3].IsUndefined() && !info[3].IsNull()) {
    Napi::Object opts = ArgObject(info, 3, "options");
    a.migrateUri = OptionalString(opts, "migrateUri", &a.hasMigrateUri);
    a.persistXml = OptionalString(opts, "persistXml", &a.hasPersistXml);
    a.destName = OptionalString(opts, "destName", &a.hasDestName);
    Napi::Value bw = opts.Get("bandwidthMiBs");
    if (!bw.IsUndefined() && !bw.IsNull()) {
      double value = bw.IsNumber() ? bw.As<Napi::Number>().DoubleValue() : -1;
      if (value < 0 || value != static_cast<double>(static_cast<uint64_t>(value))) {
        throw Napi::TypeError::New(info.Env(), "options.bandwidthMiBs must be a non-negative integer");
      }
      a.hasBandwidth = true;
      a.bandwidthMiBs = static_cast<uint64_t>(value);
    }
  }
  return Run<Nothing>(
      info.Env(), "ballast:libvirt:migrate",
      [a](virConnectPtr conn, Nothing&) { RunMigration(conn, a); }, ResolveUndefined);
}

Napi::Value Connection::GetJobInfo(const Napi::CallbackInfo& info) {
  return RunOnDomain<virDomainJobInfo>(
      info.Env(), "ballast:libvirt:getJobInfo", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, virDomainJobInfo& out) {
        Check(virDomainGetJobInfo(dom, &out), "virDomainGetJobInfo");
      },
      [](Napi::Env env, virDomainJobInfo& j) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        obj.Set("type", j.type);
        obj.Set("timeElapsedMs", static_cast<double>(j.timeElapsed));
        obj.Set("timeRemainingMs", static_cast<double>(j.timeRemaining));
        obj.Set("dataTotalBytes", static_cast<double>(j.dataTotal));
        obj.Set("dataProcessedBytes", static_cast<double>(j.dataProcessed));
        obj.Set("dataRemainingBytes", static_cast<double>(j.dataRemaining));
        obj.Set("memTotalBytes", static_cast<double>(j.memTotal));
        obj.Set("memProcessedBytes", static_cast<double>(j.memProcessed));
        obj.Set("memRemainingBytes", static_cast<double>(j.memRemaining));
        return obj;
      });
}

Napi::Value Connection::GetJobStats(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return RunOnDomain<JobStats>(
      info.Env(), "ballast:libvirt:getJobStats", uuid,
      [flags](virDomainPtr dom, JobStats& out) {
        virTypedParameterPtr params = nullptr;
        int n = 0;
        Check(virDomainGetJobStats(dom, &out.type, &params, &n, flags), "virDomainGetJobStats");
        out.params = CopyParams(params, n);
        virTypedParamsFree(params, n);
      },
      [](Napi::Env env, JobStats& out) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        obj.Set("type", out.type);
        obj.Set("params", ParamsToJs(env, out.params));
        return obj;
      });
}

Napi::Value Connection::AbortJob(const Napi::CallbackInfo& info) {
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:abortJob", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, Nothing&) { Check(virDomainAbortJob(dom), "virDomainAbortJob"); },
      ResolveUndefined);
}

}  // namespace ballast
