using System.Numerics;
using System.Runtime.CompilerServices;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// The float arithmetic of the cells' backward formulas, on <see cref="Vector{T}"/>.Count lanes at once
/// (<see cref="VectorLanes"/>) or on one (<see cref="ScalarLane"/>). A formula written once in a method generic over
/// <typeparamref name="TSelf"/> serves both the vector body of a row and its tail.
/// </summary>
/// <remarks>
/// Both do exactly the IEEE operation written, lane by lane: the JIT neither fuses a multiply and an add nor
/// reorders, so a lane gives the same bits in the body as in the tail, and the same as the scalar code this replaced.
/// The members are marked for inlining (the trivial ones inline anyway), and so are the cells' loops over them: left
/// to its budget, or in a tail the profile saw cold, the JIT stops inlining part-way through a formula and leaves a call
/// per operator and lane group.
/// .NET 10 keeps its own ISimdVector internal, hence this small interface.
/// </remarks>
internal interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    /// <summary>Floats per value: <see cref="Vector{T}"/>.Count or 1.</summary>
    static abstract int Count { get; }

    static abstract TSelf One { get; }

    /// <summary>The <see cref="Count"/> floats of <paramref name="source"/> from <paramref name="index"/> on.</summary>
    static abstract TSelf Load(ReadOnlySpan<float> source, int index);

    /// <summary>Writes the value's <see cref="Count"/> floats to <paramref name="destination"/> from <paramref name="index"/> on.</summary>
    static abstract void Store(TSelf value, Span<float> destination, int index);

    /// <summary><paramref name="value"/> where <paramref name="condition"/> &gt; 0, else +0 (NaN conditions too).</summary>
    static abstract TSelf WherePositive(TSelf condition, TSelf value);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);
}

/// <summary>One <see cref="Vector{T}"/> of floats: 8 lanes on AVX2 and, by .NET's default width, on AVX-512 too.</summary>
internal readonly struct VectorLanes(Vector<float> value) : ILanes<VectorLanes>
{
    private readonly Vector<float> _value = value;

    public static int Count => Vector<float>.Count;

    public static VectorLanes One => new(Vector<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLanes Load(ReadOnlySpan<float> source, int index) => new(new Vector<float>(source[index..]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(VectorLanes value, Span<float> destination, int index) => value._value.CopyTo(destination[index..]);

    // The mask is all ones or all zeros per lane: the select keeps the value's bits or gives +0, as the scalar does.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLanes WherePositive(VectorLanes condition, VectorLanes value) =>
        new(Vector.ConditionalSelect(Vector.GreaterThan(condition._value, Vector<float>.Zero), value._value, Vector<float>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLanes operator +(VectorLanes left, VectorLanes right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLanes operator -(VectorLanes left, VectorLanes right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLanes operator *(VectorLanes left, VectorLanes right) => new(left._value * right._value);
}

/// <summary>One float: the tail of a row whose length is not a whole number of vectors.</summary>
internal readonly struct ScalarLane(float value) : ILanes<ScalarLane>
{
    private readonly float _value = value;

    public static int Count => 1;

    public static ScalarLane One => new(1f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLane Load(ReadOnlySpan<float> source, int index) => new(source[index]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ScalarLane value, Span<float> destination, int index) => destination[index] = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLane WherePositive(ScalarLane condition, ScalarLane value) => new(condition._value > 0f ? value._value : 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLane operator +(ScalarLane left, ScalarLane right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLane operator -(ScalarLane left, ScalarLane right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLane operator *(ScalarLane left, ScalarLane right) => new(left._value * right._value);
}
