return Carousel.Cli.CarouselApp.Run(args);
