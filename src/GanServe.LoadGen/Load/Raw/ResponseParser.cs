using System.Buffers.Text;
using System.Text;

namespace GanServe.LoadGen.Load.Raw;

/// <summary>The bytes a server sent are not a well-framed HTTP/1.1 answer; the connection cannot be reused.</summary>
internal sealed class HttpFramingException(string message) : IOException(message);

/// <summary>
/// Reads one HTTP/1.1 answer at a time out of a reused receive buffer: the status line, the headers the load
/// generator counts (Content-Length, Transfer-Encoding, Connection, Retry-After, X-GanServe-Batch-Size), then
/// skips the body by its length, by chunked framing (extensions and trailers included) or up to the end of the
/// stream. Lines are parsed only once whole, so a read may end anywhere. Anything malformed throws
/// <see cref="HttpFramingException"/>.
/// </summary>
/// <remarks>
/// Use: <see cref="Start"/>, then until <see cref="Received"/> or <see cref="EndOfStream"/> says the answer is
/// complete, receive into <see cref="ReceiveSpace"/> and pass the count to <see cref="Received"/>.
/// </remarks>
internal sealed class ResponseParser
{
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private State _state;
    private long _remaining;
    private long? _contentLength;
    private bool _hasTransferEncoding;
    private bool _chunked;

    /// <summary>A parser whose longest line (status, header, chunk size, trailer) is <paramref name="bufferSize"/> bytes.</summary>
    public ResponseParser(int bufferSize = 16 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 64);
        _buffer = new byte[bufferSize];
        _state = State.Done;
    }

    private enum State
    {
        StatusLine,
        Headers,
        Body,
        UntilClose,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Done,
    }

    /// <summary>The answer's status code.</summary>
    public int Status { get; private set; }

    /// <summary>Whether the connection must be closed after this answer (Connection: close, HTTP/1.0, body up to the close).</summary>
    public bool MustClose { get; private set; }

    /// <summary>Whether the answer carried Retry-After.</summary>
    public bool HasRetryAfter { get; private set; }

    /// <summary>The sum of the X-GanServe-Batch-Size values.</summary>
    public long BatchSizeSum { get; private set; }

    /// <summary>How many X-GanServe-Batch-Size values there were.</summary>
    public int BatchSizeCount { get; private set; }

    /// <summary>Whether the body was chunked.</summary>
    public bool Chunked => _chunked;

    /// <summary>Whether the answer is complete.</summary>
    public bool Complete => _state == State.Done;

    /// <summary>Bytes received after the end of the answer (a server that sent more than one answer).</summary>
    public bool HasLeftover => _state == State.Done && _end > _start;

    /// <summary>Whether no byte of the current answer has arrived yet.</summary>
    public bool ReceivedNothing => _state == State.StatusLine && _end == 0;

    /// <summary>Forgets the last answer and any bytes after it; the next bytes start a new answer.</summary>
    public void Start()
    {
        _start = _end = 0;
        _state = State.StatusLine;
        Status = 0;
        MustClose = HasRetryAfter = false;
        BatchSizeSum = 0;
        BatchSizeCount = 0;
        _contentLength = null;
        _hasTransferEncoding = _chunked = false;
        _remaining = 0;
    }

    /// <summary>Where to receive the next bytes (never empty).</summary>
    public Memory<byte> ReceiveSpace()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start == 0)
            {
                throw new HttpFramingException($"An answer's line is longer than {_buffer.Length} bytes.");
            }

            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Takes <paramref name="count"/> bytes received into <see cref="ReceiveSpace"/>; true when the answer is complete.</summary>
    public bool Received(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _end);
        _end += count;
        Parse();
        return _state == State.Done;
    }

    /// <summary>The server closed its side; true when that ended a body sent up to the close, else throws.</summary>
    public bool EndOfStream()
    {
        if (_state == State.UntilClose)
        {
            _state = State.Done;
            return true;
        }

        throw new HttpFramingException(_state == State.StatusLine && _start == _end
            ? "The server closed the connection before answering."
            : "The server closed the connection in the middle of an answer.");
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> span) => span.Trim(" \t"u8);

    private static bool HasToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var range in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(Trim(list[range]), token))
            {
                return true;
            }
        }

        return false;
    }

    private void Parse()
    {
        while (true)
        {
            ReadOnlySpan<byte> line;
            switch (_state)
            {
                case State.StatusLine:
                    if (!TryLine(out line))
                    {
                        return;
                    }

                    ParseStatusLine(line);
                    _state = State.Headers;
                    break;
                case State.Headers:
                    if (!TryLine(out line))
                    {
                        return;
                    }

                    if (line.IsEmpty)
                    {
                        EndOfHeaders();
                    }
                    else
                    {
                        ParseHeader(line);
                    }

                    break;
                case State.Body:
                case State.ChunkData:
                    var take = (int)Math.Min(_remaining, _end - _start);
                    _start += take;
                    _remaining -= take;
                    if (_remaining > 0)
                    {
                        return;
                    }

                    _state = _state == State.Body ? State.Done : State.ChunkEnd;
                    break;
                case State.UntilClose:
                    _start = _end;
                    return;
                case State.ChunkSize:
                    if (!TryLine(out line))
                    {
                        return;
                    }

                    ParseChunkSize(line);
                    break;
                case State.ChunkEnd:
                    if (_end - _start < 2)
                    {
                        return;
                    }

                    if (_buffer[_start] != '\r' || _buffer[_start + 1] != '\n')
                    {
                        throw new HttpFramingException("A chunk does not end with CRLF.");
                    }

                    _start += 2;
                    _state = State.ChunkSize;
                    break;
                case State.Trailers:
                    if (!TryLine(out line))
                    {
                        return;
                    }

                    if (line.IsEmpty)
                    {
                        _state = State.Done;
                    }
                    else if (line.IndexOf((byte)':') <= 0 || line[0] is (byte)' ' or (byte)'\t')
                    {
                        throw new HttpFramingException("A malformed trailer line.");
                    }

                    break;
                default:
                    return;
            }
        }
    }

    private bool TryLine(out ReadOnlySpan<byte> line)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var lf = available.IndexOf((byte)'\n');
        if (lf < 0)
        {
            line = default;
            return false;
        }

        if (lf == 0 || available[lf - 1] != '\r')
        {
            throw new HttpFramingException("A line of the answer does not end with CRLF.");
        }

        line = available[..(lf - 1)];
        _start += lf + 1;
        return true;
    }

    private void ParseStatusLine(ReadOnlySpan<byte> line)
    {
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || !IsDigit(line[7]) || line[8] != ' '
            || !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) || (line.Length > 12 && line[12] != ' '))
        {
            throw new HttpFramingException("A malformed status line.");
        }

        Status = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        if (line[7] == '0')
        {
            MustClose = true;
        }
    }

    private void ParseHeader(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].IndexOfAny(" \t"u8) >= 0)
        {
            throw new HttpFramingException("A malformed header line.");
        }

        var name = line[..colon];
        var value = Trim(line[(colon + 1)..]);
        if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            if (value.Length == 0 || !IsDigit(value[0]) || !Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || (_contentLength is { } seen && seen != length))
            {
                throw new HttpFramingException("A bad Content-Length.");
            }

            _contentLength = length;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            _hasTransferEncoding = true;
            var lastComma = value.LastIndexOf((byte)',');
            _chunked = Ascii.EqualsIgnoreCase(Trim(value[(lastComma + 1)..]), "chunked"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            MustClose |= HasToken(value, "close"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Retry-After"u8))
        {
            HasRetryAfter = true;
        }
        else if (Ascii.EqualsIgnoreCase(name, "X-GanServe-Batch-Size"u8))
        {
            foreach (var range in value.Split((byte)','))
            {
                var part = Trim(value[range]);
                if (part.Length > 0 && IsDigit(part[0]) && Utf8Parser.TryParse(part, out int size, out var used) && used == part.Length)
                {
                    BatchSizeSum += size;
                    BatchSizeCount++;
                }
            }
        }
    }

    private void EndOfHeaders()
    {
        if (Status is >= 100 and < 200)
        {
            // An interim answer: the real one follows.
            var mustClose = MustClose;
            _state = State.StatusLine;
            Status = 0;
            MustClose = mustClose;
            HasRetryAfter = false;
            BatchSizeSum = 0;
            BatchSizeCount = 0;
            _contentLength = null;
            _hasTransferEncoding = _chunked = false;
            return;
        }

        if (Status is 204 or 304)
        {
            _state = State.Done;
        }
        else if (_hasTransferEncoding)
        {
            // Transfer-Encoding wins over Content-Length; without chunked last, the body runs to the close.
            _state = _chunked ? State.ChunkSize : State.UntilClose;
            MustClose |= !_chunked || _contentLength is not null;
        }
        else if (_contentLength is { } length)
        {
            _remaining = length;
            _state = length == 0 ? State.Done : State.Body;
        }
        else
        {
            _state = State.UntilClose;
            MustClose = true;
        }
    }

    private void ParseChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = semicolon >= 0 ? line[..semicolon].TrimEnd(" \t"u8) : line;
        if (digits.Length is 0 or > 15)
        {
            throw new HttpFramingException("A bad chunk size.");
        }

        long size = 0;
        foreach (var b in digits)
        {
            var d = HexDigit(b);
            if (d < 0)
            {
                throw new HttpFramingException("A bad chunk size.");
            }

            size = (size << 4) | (uint)d;
        }

        if (size == 0)
        {
            _state = State.Trailers;
        }
        else
        {
            _remaining = size;
            _state = State.ChunkData;
        }
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
