using System.Globalization;
using System.Text;

namespace GanServe.Server.Tests.Faults;

/// <summary>Which error body an answer must carry: v1 problem details or the v2 protocol's <c>{"error"}</c>.</summary>
internal enum ErrorShape
{
    Problem,
    V2Error,
}

/// <summary>One malformed or hostile request: method, path (already escaped), headers, body, and the error body it must get.</summary>
internal sealed record BadRequestCase(string Kind, HttpMethod Method, string Path, byte[]? Body, IReadOnlyList<KeyValuePair<string, string>> Headers, ErrorShape Shape)
{
    public override string ToString()
    {
        var body = Body is null ? string.Empty : Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 160));
        return $"[{Kind}] {Method} {(Path.Length > 160 ? Path[..160] + "..." : Path)} {body}";
    }

    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(Method, new Uri(Path, UriKind.Relative));
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }

        foreach (var (name, value) in Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }
}

/// <summary>
/// A deterministic corpus (seeded) of requests every one of which the API must refuse with a 4xx: bad seeds,
/// extensions, queries and headers on image routes; broken, mistyped, huge, deep and non-finite generate and v2
/// infer bodies; unknown and path-like model names on every route; bad asset names and versions.
/// Written for a server with the test repository's two ONNX models: <c>grey</c> (latent 100, 1x28x28) and
/// <c>rgb</c> (latent 32, 3x16x16), MaxImagesPerRequest 16, MaxScale 16 and MaxBodyBytes 65536.
/// A path segment of only dots (<c>..</c>, <c>%2e%2e</c>) is not in it: the client's URI handling (and Kestrel's)
/// resolves it before any routing, so it names another, valid route; escaped slashes keep such names in one segment.
/// </summary>
internal static class BadInputCorpus
{
    public const int MaxBodyBytes = 65536;
    private static readonly (string Name, int LatentDim)[] Models = [("grey", 100), ("rgb", 32)];

    private static readonly string[] BadSeeds =
    [
        "-1", "-0", "4294967296", "18446744073709551616", "99999999999999999999999999", "1e3", "1.5", "1.0", "0x10", "+5",
        "%205", "5%20", "abc", "NaN", "Infinity", "%EF%BC%91%EF%BC%92", "%D9%A3", "1_000", "1,000", "%00", "%2e%2e", "%2F1", "seed",
    ];

    private static readonly string[] BadExtensions =
    [
        "gif", "bmp", "tiff", "svg", "pngx", "jp", "webp2", "exe", "onnx", "json", "png%00", "png%20", "%2e%2e", "ico", "avif",
    ];

    private static readonly string[] BadQueries =
    [
        "truncation=0", "truncation=-1", "truncation=1.0001", "truncation=2", "truncation=NaN", "truncation=Infinity", "truncation=-Infinity",
        "truncation=1e39", "truncation=1e-50", "truncation=abc", "truncation=0,5", "truncation=0x1", "truncation=%00",
        "scale=0", "scale=-1", "scale=17", "scale=1000000", "scale=99999999999", "scale=1.5", "scale=abc", "scale=NaN",
        "truncation=0.5&truncation=0.6", "scale=2&scale=3", "truncation=0.5&scale=0", "scale=16&truncation=0",
    ];

    // A huge but well-formed number is not here: it is capped at MaxTimeout, as the contract says, and answered.
    private static readonly string[] BadTimeouts = ["0", "-5", "abc", "1.5", "1e3", " ", "10, 20", "0x10"];

    private static readonly string[] BadModelNames =
    [
        "%2e%2e%2fgrey", "%2e%2e%5c", "...", "..%2fgrey", "%252e%252e", "grey%2f..%2frgb", "%5c..%5cgrey", "GREY", "Grey", "grey%20",
        "%20grey", "grey.onnx", "-grey", "grey-", "gr%C3%ABy", "%E6%A8%A1%E5%9E%8B", "%F0%9F%98%80", "grey%00", "con", "nul", "models",
        "fashion-classifier", "classifier", "a", "z", "0", "grey%3b", "grey%3f", "grey%23", "%7e", "grey~1", "%c0%ae%c0%ae", "_grey",
        new string('a', 64), new string('a', 200), new string('g', 2000),
    ];

    private static readonly string[] BadAssets =
    [
        "model.json", "..%2fmodel.json", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "1%2fmodel.onnx", "secret.txt", "...", "sample-grid.PNG",
        "sample-grid.png%00", "sample-grid.png.bak", "%5cmodel.json", new string('x', 300), "gr%C3%ABd.png", "..%5c..%5cmodel.json",
    ];

    private static readonly string[] BadVersions = ["0", "2", "01", "-1", "abc", "1.0", "99999999999", "%2e%2e%2f1", "1%20", "%EF%BC%91"];

    private static readonly string[] BrokenJson =
    [
        "", " ", "{", "}", "[", "[]", "null", "true", "42", "\"seeds\"", "{\"seeds\"}", "{\"seeds\":}", "{\"seeds\":[1,]}", "{\"seeds\":[1 2]}",
        "{seeds:[1]}", "{'seeds':[1]}", "{\"seeds\":[1]}}", "{\"seeds\":[1]} x", "{\"seeds\":[1]", "{\"seeds\":[1],}", "\u0000",
        "{\"seeds\":[01]}", "{\"seeds\":[1.]}", "{\"seeds\":[.5]}", "{\"seeds\":[+1]}", "{\"seeds\":[0x1]}", "{\"latents\":[[NaN]]}",
        "{\"latents\":[[Infinity]]}", "{\"latents\":[[-Infinity]]}", "{\"seeds\":[1]/*c*/}", "{\"seeds\":[1]}\u0000", "\uFEFF\uFEFF{\"seeds\":[1]}",
        "{\"seeds\":\"\\ud800\"}", "{\"seeds\":[1],\"seeds\":\"x\"}",
    ];

    /// <summary>Every case, in a fixed order from <paramref name="seed"/>.</summary>
    public static List<BadRequestCase> Build(int seed = 20261203)
    {
        var random = new Random(seed);
        var cases = new List<BadRequestCase>();
        ImageRoutes(random, cases);
        ModelNames(cases);
        Assets(cases);
        GenerateBodies(random, cases);
        Interpolations(random, cases);
        InferBodies(random, cases);
        return cases;
    }

    private static string ModelOf(Random random) => Models[random.Next(Models.Length)].Name;

    private static (string Name, int LatentDim) ModelAndDim(Random random) => Models[random.Next(Models.Length)];

    private static BadRequestCase Get(string kind, string path, params KeyValuePair<string, string>[] headers) =>
        new(kind, HttpMethod.Get, path, null, headers, path.StartsWith("/v2", StringComparison.Ordinal) ? ErrorShape.V2Error : ErrorShape.Problem);

    private static BadRequestCase Post(string kind, string path, string body, params KeyValuePair<string, string>[] headers) =>
        Post(kind, path, Encoding.UTF8.GetBytes(body), headers);

    private static BadRequestCase Post(string kind, string path, byte[] body, params KeyValuePair<string, string>[] headers) =>
        new(kind, HttpMethod.Post, path, body, headers, path.StartsWith("/v2", StringComparison.Ordinal) ? ErrorShape.V2Error : ErrorShape.Problem);

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void ImageRoutes(Random random, List<BadRequestCase> cases)
    {
        foreach (var model in Models.Select(m => m.Name))
        {
            foreach (var bad in BadSeeds)
            {
                cases.Add(Get("image-seed", $"/v1/models/{model}/images/{bad}.png"));
                cases.Add(Get("image-seed", $"/v1/models/{model}/versions/1/images/{bad}.webp"));
            }

            foreach (var ext in BadExtensions)
            {
                cases.Add(Get("image-ext", $"/v1/models/{model}/images/{random.Next(1000)}.{ext}"));
            }

            foreach (var query in BadQueries)
            {
                cases.Add(Get("image-query", $"/v1/models/{model}/images/{random.Next(1000)}.png?{query}"));
                cases.Add(Get("image-query", $"/v1/models/{model}/versions/1/images/{random.Next(1000)}.jpg?{query}"));
            }

            foreach (var timeout in BadTimeouts)
            {
                cases.Add(Get("image-timeout", $"/v1/models/{model}/images/{random.Next(1000)}.png", new KeyValuePair<string, string>("X-GanServe-Timeout", timeout)));
            }

            foreach (var version in BadVersions)
            {
                cases.Add(Get("image-version", $"/v1/models/{model}/versions/{version}/images/1.png"));
            }

        }

        // Scale so large that the picture passes MaxPixelsPerResponse (16 x 28 = 448 squared is over 200 000).
        cases.Add(Get("image-pixels", "/v1/models/grey/images/1.png?scale=16"));

        // Random out-of-range numbers, many of them.
        for (var i = 0; i < 300; i++)
        {
            var model = ModelOf(random);
            var seed = i % 2 == 0 ? -1 - random.NextInt64(0, long.MaxValue / 2) : 4294967296L + random.NextInt64(0, long.MaxValue / 2);
            cases.Add(Get("image-seed-random", $"/v1/models/{model}/images/{seed.ToString(CultureInfo.InvariantCulture)}.png"));
            var psi = i % 3 == 0 ? -random.NextDouble() * 10 : 1 + (random.NextDouble() * 100) + 1e-9;
            cases.Add(Get("image-truncation-random", $"/v1/models/{model}/images/{random.Next()}.png?truncation={Num(psi)}"));
            var scale = i % 2 == 0 ? -random.Next(0, 1000) : 17 + random.Next(0, 100000);
            cases.Add(Get("image-scale-random", $"/v1/models/{model}/images/{random.Next()}.png?scale={scale}"));
            cases.Add(Get("image-seed-garbage", $"/v1/models/{model}/images/{RandomToken(random, 1 + random.Next(40))}.png"));
        }
    }

    private static void ModelNames(List<BadRequestCase> cases)
    {
        var body = "{\"seeds\":[1]}";
        var infer = "{\"inputs\":[{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[1,100],\"data\":[" + string.Join(',', Enumerable.Repeat("0", 100)) + "]}]}";
        foreach (var name in BadModelNames)
        {
            cases.Add(Get("model-name", $"/v1/models/{name}"));
            cases.Add(Get("model-name", $"/v1/models/{name}/images/1.png"));
            cases.Add(Get("model-name", $"/v1/models/{name}/versions/1/images/1.png"));
            cases.Add(Get("model-name", $"/v1/models/{name}/assets/sample-grid.png"));
            cases.Add(Get("model-name", $"/v1/models/{name}/interpolate?from=1&to=2&frames=3"));
            cases.Add(Post("model-name", $"/v1/models/{name}/generate", body));
            cases.Add(Get("model-name", $"/v2/models/{name}"));
            cases.Add(Get("model-name", $"/v2/models/{name}/ready"));
            cases.Add(Post("model-name", $"/v2/models/{name}/infer", infer));
            cases.Add(Post("model-name", $"/v2/models/{name}/versions/1/infer", infer));
        }
    }

    private static void Assets(List<BadRequestCase> cases)
    {
        foreach (var model in Models.Select(m => m.Name))
        {
            foreach (var asset in BadAssets)
            {
                cases.Add(Get("asset", $"/v1/models/{model}/assets/{asset}"));
            }
        }
    }

    private static void GenerateBodies(Random random, List<BadRequestCase> cases)
    {
        foreach (var (model, dim) in Models)
        {
            var path = $"/v1/models/{model}/generate";
            var zeros = string.Join(',', Enumerable.Repeat("0", dim));
            foreach (var broken in BrokenJson)
            {
                cases.Add(Post("generate-broken", path, broken));
            }

            // Every strict prefix of valid bodies is broken JSON.
            foreach (var valid in new[]
            {
                "{\"seeds\":[1,2,3],\"format\":\"png\",\"truncation\":0.7,\"scale\":2,\"grid\":true,\"columns\":2,\"returnLatents\":true}",
                "{\"latents\":[[" + zeros + "]],\"format\":\"webp\"}",
            })
            {
                for (var cut = 1; cut < valid.Length - 1; cut += 1 + random.Next(3))
                {
                    cases.Add(Post("generate-truncated", path, valid[..cut]));
                }
            }

            string[] wrongTypes =
            [
                "{\"seeds\":\"1\"}", "{\"seeds\":1}", "{\"seeds\":{}}", "{\"seeds\":true}", "{\"seeds\":[\"1\"]}", "{\"seeds\":[true]}",
                "{\"seeds\":[null]}", "{\"seeds\":[[1]]}", "{\"seeds\":[{}]}", "{\"seeds\":[1.5]}", "{\"seeds\":[-1]}", "{\"seeds\":[4294967296]}",
                "{\"seeds\":[1e10]}", "{\"seeds\":[-0.5]}", "{\"seeds\":[1e400]}", "{\"seeds\":[]}", "{}", "{\"format\":\"png\"}",
                "{\"seeds\":[1],\"latents\":[[" + zeros + "]]}", "{\"latents\":\"x\"}", "{\"latents\":[" + zeros + "]}", "{\"latents\":[[]]}",
                "{\"latents\":[]}", "{\"latents\":[[\"0\"]]}", "{\"latents\":[[null]]}", "{\"latents\":[[true]]}", "{\"latents\":[{}]}",
                "{\"seeds\":[1],\"truncation\":\"0.5\"}", "{\"seeds\":[1],\"truncation\":true}", "{\"seeds\":[1],\"truncation\":[0.5]}",
                "{\"seeds\":[1],\"format\":5}", "{\"seeds\":[1],\"format\":\"gif\"}", "{\"seeds\":[1],\"format\":\"\"}", "{\"seeds\":[1],\"format\":\"bmp\"}",
                "{\"seeds\":[1],\"format\":[\"png\"]}", "{\"seeds\":[1],\"scale\":\"2\"}", "{\"seeds\":[1],\"scale\":0}", "{\"seeds\":[1],\"scale\":-1}",
                "{\"seeds\":[1],\"scale\":17}", "{\"seeds\":[1],\"scale\":2.5}", "{\"seeds\":[1],\"scale\":1e9}", "{\"seeds\":[1],\"grid\":\"yes\"}",
                "{\"seeds\":[1],\"grid\":1}", "{\"seeds\":[1,2],\"grid\":true,\"columns\":0}", "{\"seeds\":[1,2],\"grid\":true,\"columns\":-1}",
                "{\"seeds\":[1,2],\"grid\":true,\"columns\":\"x\"}", "{\"seeds\":[1,2],\"grid\":true,\"columns\":1.5}", "{\"seeds\":[1],\"returnLatents\":1}",
                "{\"seeds\":[1],\"returnLatents\":\"true\"}", "{\"seeds\":[1],\"truncation\":0}", "{\"seeds\":[1],\"truncation\":-0.1}",
                "{\"seeds\":[1],\"truncation\":1.5}", "{\"seeds\":[1],\"truncation\":1e39}", "{\"seeds\":[1],\"truncation\":1e-60}",
                "{\"seeds\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],\"scale\":16}",
            ];
            foreach (var body in wrongTypes)
            {
                cases.Add(Post("generate-types", path, body));
            }

            // Huge arrays: more seeds or latents than MaxImagesPerRequest, and bodies over MaxBodyBytes.
            foreach (var n in new[] { 17, 64, 1000, 9000 })
            {
                cases.Add(Post("generate-huge", path, "{\"seeds\":[" + string.Join(',', Enumerable.Range(0, n)) + "]}"));
            }

            cases.Add(Post("generate-huge", path, "{\"latents\":[" + string.Join(',', Enumerable.Repeat("[" + zeros + "]", 17)) + "]}"));
            cases.Add(Post("generate-huge", path, "{\"seeds\":[" + string.Join(',', Enumerable.Range(0, 20000)) + "]}"));
            cases.Add(Post("generate-huge", path, "{\"latents\":[[" + string.Join(',', Enumerable.Repeat("0.125", 100_000)) + "]]}"));
            cases.Add(Post("generate-huge", path, new byte[MaxBodyBytes + 1]));
            cases.Add(Post("generate-huge", path, "{\"seeds\":[1],\"pad\":\"" + new string('x', MaxBodyBytes) + "\"}"));

            // Deeply nested values, in every field.
            foreach (var depth in new[] { 9, 16, 64, 1000, 5000 })
            {
                var deep = new string('[', depth) + "1" + new string(']', depth);
                cases.Add(Post("generate-deep", path, "{\"seeds\":" + deep + "}"));
                cases.Add(Post("generate-deep", path, "{\"latents\":" + deep + "}"));
                cases.Add(Post("generate-deep", path, "{\"seeds\":[1],\"x\":" + deep + "}"));
                cases.Add(Post("generate-deep", path, deep));
                var objects = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                cases.Add(Post("generate-deep", path, "{\"seeds\":[1],\"x\":" + objects + "}"));
            }

            // Non-finite and overflowing latent values, wrong lengths.
            foreach (var value in new[] { "1e39", "-1e39", "3.5e38", "1e309", "-1e309", "\"NaN\"", "\"Infinity\"", "\"1\"", "1e999999" })
            {
                var position = random.Next(dim);
                var row = Enumerable.Repeat("0", dim).ToArray();
                row[position] = value;
                cases.Add(Post("generate-nonfinite", path, "{\"latents\":[[" + string.Join(',', row) + "]]}"));
                cases.Add(Post("generate-nonfinite", path, "{\"latents\":[[" + zeros + "],[" + string.Join(',', row) + "]]}"));
            }

            for (var i = 0; i < 60; i++)
            {
                var length = random.Next(0, 3 * dim);
                if (length == dim)
                {
                    length++;
                }

                var row = string.Join(',', Enumerable.Range(0, length).Select(_ => Num(Math.Round((random.NextDouble() * 4) - 2, 3))));
                cases.Add(Post("generate-length", path, "{\"latents\":[[" + row + "]]}"));
                cases.Add(Post("generate-length", path, "{\"latents\":[[" + zeros + "],[" + row + "]]}"));
            }

            // Random bad seeds inside otherwise valid bodies.
            for (var i = 0; i < 80; i++)
            {
                var bad = (i % 4) switch
                {
                    0 => (-1 - random.NextInt64(0, long.MaxValue / 2)).ToString(CultureInfo.InvariantCulture),
                    1 => (4294967296L + random.NextInt64(0, long.MaxValue / 2)).ToString(CultureInfo.InvariantCulture),
                    2 => Num(random.Next(0, 1000) + 0.25 + (random.Next(0, 2) * 0.5)),
                    _ => "\"" + RandomToken(random, 1 + random.Next(10)) + "\"",
                };
                var seeds = Enumerable.Range(0, 1 + random.Next(5)).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToList();
                seeds.Insert(random.Next(seeds.Count + 1), bad);
                cases.Add(Post("generate-seed-random", path, "{\"seeds\":[" + string.Join(',', seeds) + "]}"));
            }

            // Accept asks for one image of a kind, or an image for several.
            cases.Add(Post("generate-accept", path, "{\"seeds\":[1,2]}", new KeyValuePair<string, string>("Accept", "image/png")));
            cases.Add(Post("generate-accept", path, "{\"seeds\":[1]}", new KeyValuePair<string, string>("Accept", "image/gif")));
            cases.Add(Post("generate-accept", path, "{\"seeds\":[1],\"format\":\"webp\"}", new KeyValuePair<string, string>("Accept", "image/png")));
            foreach (var timeout in BadTimeouts)
            {
                cases.Add(Post("generate-timeout", path, "{\"seeds\":[1]}", new KeyValuePair<string, string>("X-GanServe-Timeout", timeout)));
            }

            // Random bytes (never a JSON object: the first byte is not '{' or whitespace).
            for (var i = 0; i < 40; i++)
            {
                var bytes = new byte[1 + random.Next(300)];
                random.NextBytes(bytes);
                bytes[0] = (byte)(0x80 + random.Next(0x7f));
                cases.Add(Post("generate-random-bytes", path, bytes));
            }
        }
    }

    private static void Interpolations(Random random, List<BadRequestCase> cases)
    {
        string[] queries =
        [
            "", "from=1", "to=2", "from=1&to=2&frames=1", "from=1&to=2&frames=0", "from=1&to=2&frames=-3", "from=1&to=2&frames=121",
            "from=1&to=2&frames=99999999999", "from=1&to=2&frames=abc", "from=1&to=2&frames=2.5", "from=-1&to=2", "from=1&to=4294967296",
            "from=abc&to=2", "from=1&to=2&format=bmp", "from=1&to=2&format=gif%00", "from=1&to=2&truncation=0",
            "from=1&to=2&truncation=2", "from=1&to=2&truncation=NaN", "from=1&to=2&scale=0", "from=1&to=2&scale=17", "from=1&to=2&scale=x",
            "from=1&to=2&frames=120&scale=16", "from=1.5&to=2", "from=%2e%2e&to=2",
        ];
        foreach (var model in Models.Select(m => m.Name))
        {
            foreach (var query in queries)
            {
                cases.Add(Get("interpolate", $"/v1/models/{model}/interpolate?{query}"));
                cases.Add(Get("interpolate", $"/v1/models/{model}/versions/1/interpolate?{query}"));
            }

            for (var i = 0; i < 20; i++)
            {
                cases.Add(Get("interpolate-random", $"/v1/models/{model}/interpolate?from={random.Next()}&to={random.Next()}&frames={121 + random.Next(100000)}"));
            }
        }
    }

    private static void InferBodies(Random random, List<BadRequestCase> cases)
    {
        foreach (var (model, dim) in Models)
        {
            var path = $"/v2/models/{model}/infer";
            var zeros = string.Join(',', Enumerable.Repeat("0", dim));
            string Input(string name = "\"z\"", string datatype = "\"FP32\"", string? shape = null, string? data = null) =>
                "{\"inputs\":[{\"name\":" + name + ",\"datatype\":" + datatype + ",\"shape\":" + (shape ?? $"[1,{dim}]") + ",\"data\":" + (data ?? "[" + zeros + "]") + "}]}";

            foreach (var broken in BrokenJson)
            {
                cases.Add(Post("infer-broken", path, broken));
            }

            var valid = Input();
            for (var cut = 1; cut < valid.Length - 1; cut += 2 + random.Next(4))
            {
                cases.Add(Post("infer-truncated", path, valid[..cut]));
            }

            string[] bodies =
            [
                "{}", "{\"inputs\":[]}", "{\"inputs\":{}}", "{\"inputs\":\"z\"}", "{\"inputs\":[1]}", "{\"inputs\":[null]}", "{\"inputs\":[{}]}",
                Input(name: "\"x\""), Input(name: "1"), Input(name: "null"), Input(datatype: "\"INT32\""), Input(datatype: "\"FP64\""),
                Input(datatype: "\"fp32\""), Input(datatype: "\"FP16\""), Input(datatype: "32"), Input(datatype: "\"BYTES\""),
                Input(shape: "[]"), Input(shape: $"[{dim}]"), Input(shape: $"[2,{dim}]"), Input(shape: $"[1,{dim + 1}]"), Input(shape: $"[0,{dim}]"),
                Input(shape: $"[-1,{dim}]"), Input(shape: $"[1,{dim},1]"), Input(shape: "\"1x100\""), Input(shape: $"[1.5,{dim}]"),
                Input(shape: $"[1000000000,{dim}]"), Input(shape: $"[9223372036854775807,{dim}]"), Input(shape: $"[17,{dim}]"),
                Input(shape: $"[1,{dim}]", data: "[]"), Input(data: "\"x\""), Input(data: "null"), Input(data: "[[" + zeros + "],[" + zeros + "]]"),
                Input(data: "[\"0\"]"), Input(data: "[true]"), Input(data: "[null]"), Input(data: "[" + zeros + ",0]"),
                Input(data: "[" + string.Join(',', Enumerable.Repeat("1e39", dim)) + "]"), Input(data: "[" + string.Join(',', Enumerable.Repeat("\"NaN\"", dim)) + "]"),
                Input(data: "[" + string.Join(',', Enumerable.Repeat("\"Infinity\"", dim)) + "]"),
                Input(data: "[" + string.Join(',', Enumerable.Repeat("-1e309", dim)) + "]"),
                Input(data: "[[[" + zeros + "]]]"),
                Input() + "x",
                "{\"inputs\":[" + Input()[11..^2] + "," + Input()[11..^2] + "]}",
                "{\"inputs\":" + new string('[', 2000) + new string(']', 2000) + "}",
                "{\"id\":" + new string('[', 100) + new string(']', 100) + "," + Input()[1..],
                "{\"outputs\":[{\"name\":\"nope\"}]," + Input()[1..],
                "{\"outputs\":\"image\"," + Input()[1..],
            ];
            foreach (var body in bodies)
            {
                cases.Add(Post("infer-bodies", path, body));
                cases.Add(Post("infer-bodies", $"/v2/models/{model}/versions/1/infer", body));
            }

            for (var i = 0; i < 40; i++)
            {
                var length = random.Next(0, 3 * dim);
                if (length == dim)
                {
                    length--;
                }

                cases.Add(Post("infer-length", path, Input(data: "[" + string.Join(',', Enumerable.Repeat("0.5", length)) + "]")));
            }

            cases.Add(Post("infer-huge", path, Input(shape: $"[1,{dim}]", data: "[" + string.Join(',', Enumerable.Repeat("0.125", 100_000)) + "]")));
            cases.Add(Post("infer-huge", path, new byte[MaxBodyBytes + 1]));
            foreach (var version in BadVersions)
            {
                cases.Add(Post("infer-version", $"/v2/models/{model}/versions/{version}/infer", valid));
                cases.Add(Get("infer-version", $"/v2/models/{model}/versions/{version}"));
            }

            cases.Add(Get("infer-method", path));
        }
    }

    /// <summary>Letters, digits and escaped odd characters (never only digits, so never a valid seed).</summary>
    private static string RandomToken(Random random, int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_~.!$&'()*+,;=:@";
        var text = new StringBuilder("x");
        for (var i = 0; i < length; i++)
        {
            var pick = random.Next(Alphabet.Length + 6);
            text.Append(pick < Alphabet.Length ? Alphabet[pick] : Uri.EscapeDataString(char.ConvertFromUtf32(0x00A0 + random.Next(0x2000))));
        }

        return text.ToString();
    }
}
