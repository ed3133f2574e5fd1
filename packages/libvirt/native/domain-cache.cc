#include "domain-cache.h"

#include <unordered_set>

namespace ballast {

DomainHandle DomainCache::Acquire(virConnectPtr conn, const std::string& uuid, bool* cached) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(uuid);
    if (it != map_.end()) {
      virDomainRef(it->second);
      *cached = true;
      return DomainHandle(it->second);
    }
  }
  *cached = false;
  DomainHandle fresh = FindDomain(conn, uuid);
  Put(uuid, fresh.get());
  return fresh;
}

void DomainCache::Put(const std::string& uuid, virDomainPtr dom) {
  virDomainPtr old = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    virDomainRef(dom);
    auto [it, inserted] = map_.emplace(uuid, dom);
    if (!inserted) {
      old = it->second;
      it->second = dom;
    }
  }
  if (old != nullptr) virDomainFree(old);
}

void DomainCache::Evict(const std::string& uuid, virDomainPtr only) {
  virDomainPtr old = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(uuid);
    if (it == map_.end() || (only != nullptr && it->second != only)) return;
    old = it->second;
    map_.erase(it);
  }
  virDomainFree(old);  // outside the lock: may drop the last connection reference
}

void DomainCache::Retain(const std::vector<std::string>& live) {
  std::unordered_set<std::string> keep(live.begin(), live.end());
  std::vector<virDomainPtr> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = map_.begin(); it != map_.end();) {
      if (keep.count(it->first) == 0) {
        dropped.push_back(it->second);
        it = map_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (virDomainPtr dom : dropped) virDomainFree(dom);
}

void DomainCache::Clear() {
  std::unordered_map<std::string, virDomainPtr> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(map_);
  }
  for (auto& entry : dropped) virDomainFree(entry.second);
}

void DomainCache::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  Clear();
}

size_t DomainCache::Size() {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

}  // namespace ballast
