global using Xunit;
global using Tensor = Carousel.Tensors.Tensor;
