namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>
/// Endpoint metadata: the endpoint takes a JSON body of <paramref name="Type"/> (read by <see cref="RequestInputs"/>
/// under the body budget). Not the framework's Accepts: that also filters requests by Content-Type at routing,
/// which would refuse the unlabelled bodies the service reads by their bytes.
/// </summary>
internal sealed record JsonBody(Type Type, bool Optional = false);
