// System.Numerics.Tensors also defines a Tensor type; ours is the one meant throughout the library.
global using Tensor = Carousel.Tensors.Tensor;
