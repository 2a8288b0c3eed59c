-- random-seed.lua with an API key: GANSERVE_API_KEY is sent as X-Api-Key on every request.
local model = os.getenv("GANSERVE_MODEL") or "fashion-dcgan"
local key = os.getenv("GANSERVE_API_KEY") or ""
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/models/" .. model .. "/images/" .. math.random(0, 4294967295) .. ".png", { ["X-Api-Key"] = key })
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx %d, errors %d, p50 %.3f ms, p99 %.3f ms\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
